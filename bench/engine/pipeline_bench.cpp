// Engine benchmarks: the ordered ring alone, and the whole pipeline (synthetic keys → S3
// signing on TBB workers → ordered writer → null sink). Output is verified before timing.
//
// Results (paste the latest here): see the bench reports in the issue notes; machine and date
// are printed by scripts/bench.sh with each run.
#include "presign/engine/ordered_ring.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/synthetic_source.hpp"
#include "presign/signers/sigv4.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace presign;

namespace {

struct Item {
  std::uint64_t seq;
};

// One producer thread publishes 0..n-1, the benchmark thread takes them in order.
void BM_OrderedWriter_PublishTake(benchmark::State& state) {
  std::size_t const capacity = static_cast<std::size_t>(state.range(0));
  std::uint64_t const n = 1 << 20;
  std::vector<Item> items(capacity);
  for (auto _ : state) {
    engine::OrderedRing<Item> ring(capacity);
    std::thread producer([&] {
      for (std::uint64_t s = 0; s < n; ++s) {
        if (!ring.wait_for_room(s)) return;
        items[s % capacity].seq = s;
        ring.publish(s, &items[s % capacity]);
      }
    });
    std::uint64_t bad = 0;
    for (std::uint64_t s = 0; s < n; ++s) {
      Item* it = ring.take(s);
      bad += it->seq != s;
      ring.release(s);
    }
    producer.join();
    if (bad != 0) {
      state.SkipWithError("items out of order");
      return;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_OrderedWriter_PublishTake)->ArgName("capacity")->Arg(8)->Arg(64)->UseRealTime();

signers::sigv4::S3Presigner make_signer() {
  signers::sigv4::S3PresignConfig cfg;
  cfg.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  cfg.bucket = "bench-bucket";
  cfg.signing_time = SigningTime{std::chrono::seconds{1704067200}};
  return signers::sigv4::S3Presigner::create(cfg).value();
}

class StringSink final : public io::OutputSink {
 public:
  Result<void> write(std::string_view d) override {
    data.append(d);
    return {};
  }
  Result<void> sync() override { return {}; }
  Result<void> commit() override { return {}; }
  [[nodiscard]] std::string const& name() const override { return name_; }
  [[nodiscard]] std::string const& part_path() const override { return name_; }
  std::string data;

 private:
  std::string name_ = "memory";
};

// The pipeline's output for a few thousand objects equals a plain loop over the signer.
bool pipeline_output_is_right(signers::sigv4::S3Presigner const& signer) {
  std::uint64_t const n = 10000;
  io::RecordFormatter fmt(io::Format::kUrls, "");
  engine::FormattingBatchSigner<signers::sigv4::S3Presigner> bs(signer, fmt);
  io::SyntheticSource source(n);
  StringSink sink;
  engine::PipelineOptions opts;
  opts.threads = 2;
  if (!engine::run_pipeline(source, bs, fmt, sink, opts)) return false;
  std::string want;
  io::SyntheticSource again(n);
  io::Batch b;
  signers::sigv4::S3Presigner::Scratch scratch;
  while (*again.next(b)) {
    for (auto const& o : b.objects) {
      if (signer.sign(o, scratch, want) != SignError::kOk) return false;
      want += '\n';
    }
  }
  return want == sink.data;
}

void BM_Pipeline_EndToEnd(benchmark::State& state) {
  auto const signer = make_signer();
  if (!pipeline_output_is_right(signer)) {
    state.SkipWithError("pipeline output differs from the signer's");
    return;
  }
  std::uint64_t const n = 500000;
  io::RecordFormatter fmt(io::Format::kNdjson, "2024-01-01T01:00:00Z");
  engine::FormattingBatchSigner<signers::sigv4::S3Presigner> bs(signer, fmt);
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    io::SyntheticSource source(n);
    auto sink = io::make_null_sink();
    engine::PipelineOptions opts;
    opts.threads = static_cast<unsigned>(state.range(0));
    auto stats = engine::run_pipeline(source, bs, fmt, *sink, opts);
    if (!stats || stats->objects != n) {
      state.SkipWithError("pipeline failed");
      return;
    }
    bytes += stats->bytes;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_Pipeline_EndToEnd)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
