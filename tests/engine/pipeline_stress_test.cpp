// The whole pipeline (source → TBB signing stage → ordered ring → writer) under concurrency:
// more than a million objects in uneven batches, each batch delayed at random in the
// parallel stage so batches finish far out of order; the output must hold every object
// exactly once, in source order. Runs under TSan in scripts/sanitize.sh (label stress).
#include "presign/engine/pipeline.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace presign;

namespace {

// Keys "k<index>" in batches of 1..700 objects (uneven on purpose).
class CountingSource final : public io::ObjectSource {
 public:
  explicit CountingSource(std::uint64_t total) : total_(total) {}
  Result<bool> next(io::Batch& b) override {
    b.reset();
    if (index_ == total_) return false;
    std::uint64_t const n = std::min<std::uint64_t>(1 + rng_() % 700, total_ - index_);
    b.first_index = index_;
    std::vector<std::size_t> ends;
    for (std::uint64_t i = 0; i < n; ++i) {
      b.data += 'k';
      b.data += std::to_string(index_ + i);
      ends.push_back(b.data.size());
    }
    std::size_t start = 0;
    for (std::size_t e : ends) {
      b.objects.push_back(ObjectRef{std::string_view(b.data).substr(start, e - start), {}});
      start = e;
    }
    index_ += n;
    b.source_position = std::to_string(index_);
    return true;
  }
  Result<void> seek(std::string const&) override { return {}; }

 private:
  std::uint64_t total_;
  std::uint64_t index_ = 0;
  std::mt19937_64 rng_{12345};
};

// Writes "<key>\n" per object after a random delay per batch. Also checks the pipeline's
// worker numbers: each below the count reserved, never two calls on one worker at once (the
// guarantee FormattingBatchSigner's per-worker scratch relies on).
class DelayingSigner final : public engine::BatchSigner {
 public:
  void reserve_workers(std::size_t workers) const override {
    if (workers > busy_.size()) busy_ = std::vector<std::atomic<bool>>(workers);
  }
  using engine::BatchSigner::sign_batch;
  void sign_batch(io::Batch& b, std::size_t worker) const override {
    if (worker >= busy_.size() || busy_[worker].exchange(true)) {
      misuse_.store(true);
      return;
    }
    thread_local std::mt19937_64 rng(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    if (rng() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 400));
    for (auto const& o : b.objects) {
      b.out.append(o.key);
      b.out += '\n';
    }
    busy_[worker].store(false);
  }
  [[nodiscard]] bool misused() const { return misuse_.load(); }

 private:
  mutable std::vector<std::atomic<bool>> busy_;
  mutable std::atomic<bool> misuse_{false};
};

class StringSink final : public io::OutputSink {
 public:
  Result<void> write(std::string_view d) override {
    data.append(d);
    return {};
  }
  Result<void> sync() override { return {}; }
  Result<void> commit() override {
    committed = true;
    return {};
  }
  [[nodiscard]] std::string const& name() const override { return name_; }
  [[nodiscard]] std::string const& part_path() const override { return name_; }
  std::string data;
  bool committed = false;

 private:
  std::string name_ = "memory";
};

}  // namespace

TEST_SUITE("stress.pipeline") {
  TEST_CASE(
      "a million objects in uneven, randomly delayed batches come out once each, in order, "
      "no worker number in use twice at once") {
    std::uint64_t const total = 1'000'000;
    for (unsigned threads : {2U, 4U}) {
      CountingSource source(total);
      DelayingSigner signer;
      io::RecordFormatter format(io::Format::kUrls, "");
      StringSink sink;
      engine::PipelineOptions opts;
      opts.threads = threads;
      opts.tokens = 8;  // a small ring: back-pressure is exercised constantly
      auto stats = engine::run_pipeline(source, signer, format, sink, opts);
      REQUIRE(stats.has_value());
      CHECK(stats->objects == total);
      CHECK(sink.committed);
      std::uint64_t expect = 0;
      bool in_order = true;
      std::size_t pos = 0;
      while (pos < sink.data.size()) {
        std::size_t nl = sink.data.find('\n', pos);
        if (nl == std::string::npos ||
            sink.data.compare(pos, nl - pos, "k" + std::to_string(expect)) != 0) {
          in_order = false;
          break;
        }
        ++expect;
        pos = nl + 1;
      }
      CHECK(in_order);
      CHECK(expect == total);
      CHECK(stats->latency.count() == total);
      CHECK_FALSE(signer.misused());
    }
  }
}
