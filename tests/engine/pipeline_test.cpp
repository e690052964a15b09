// run_pipeline end to end in memory: an in-test source with many small and uneven batches
// (empty ones included), a toy Signer and the real S3Presigner behind FormattingBatchSigner,
// and a memory sink. Checks order and completeness for several thread and token counts,
// per-object error records, a failing source or sink, and labelbox separators.
#include "presign/engine/pipeline.hpp"

#include "presign/engine/checkpoint.hpp"

#include "presign/io/output_file.hpp"
#include "presign/signers/sigv4.hpp"

#include "example_s3_signer.hpp"
#include "memory_sink.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace presign;
using namespace presign::engine;
using presign::test::MemorySink;
namespace fs = std::filesystem;

namespace {

// Yields `keys` in batches whose sizes cycle through `sizes` (0 = an empty page, as a lister
// may return); optionally fails when asked for batch number `fail_at`.
class VectorSource final : public io::ObjectSource {
 public:
  VectorSource(std::vector<std::string> keys, std::vector<std::size_t> sizes,
               std::optional<std::uint64_t> fail_at = std::nullopt)
      : keys_(std::move(keys)), sizes_(std::move(sizes)), fail_at_(fail_at) {}

  Result<bool> next(io::Batch& batch) override {
    batch.reset();
    if (fail_at_ && seq_ == *fail_at_) {
      return make_error(ErrorKind::kNetwork, "listing page " + std::to_string(seq_) + " failed");
    }
    if (index_ == keys_.size()) return false;
    batch.seq = seq_;
    batch.first_index = index_;
    std::size_t const n = std::min(sizes_[seq_ % sizes_.size()], keys_.size() - index_);
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    for (std::size_t i = 0; i < n; ++i) {
      spans.emplace_back(batch.data.size(), keys_[index_ + i].size());
      batch.data += keys_[index_ + i];
    }
    for (auto [at, len] : spans) {
      batch.objects.push_back(ObjectRef{std::string_view(batch.data).substr(at, len), {}});
    }
    index_ += n;
    ++seq_;
    batch.source_position = "index=" + std::to_string(index_) + ",seq=" + std::to_string(seq_);
    return true;
  }

  Result<void> seek(std::string const& position) override {
    std::uint64_t index = 0, seq = 0;
    if (std::sscanf(position.c_str(), "index=%" SCNu64 ",seq=%" SCNu64, &index, &seq) != 2) {
      return make_error(ErrorKind::kIo, "bad position");
    }
    index_ = static_cast<std::size_t>(index);
    seq_ = seq;
    return {};
  }

  [[nodiscard]] double fraction_done() const override {
    return keys_.empty() ? 1.0 : static_cast<double>(index_) / static_cast<double>(keys_.size());
  }

 private:
  std::vector<std::string> keys_;
  std::vector<std::size_t> sizes_;
  std::optional<std::uint64_t> fail_at_;
  std::size_t index_ = 0;
  std::uint64_t seq_ = 0;
};

// A Signer whose URL is a pure function of the key, with the S3 key-length rules.
struct ToySigner {
  struct Scratch {
    std::uint64_t calls = 0;
  };
  [[nodiscard]] SignError sign(ObjectRef const& o, Scratch& s, std::string& out) const noexcept {
    if (o.key.empty()) return SignError::kEmptyKey;
    if (o.key.size() > signers::kMaxKeyBytes) return SignError::kKeyTooLong;
    ++s.calls;
    out += "https://toy.example/";
    out += o.key;  // the tests use URL-safe keys with this signer
    out += "?sig=";
    out += std::to_string(o.key.size());
    return SignError::kOk;
  }
};
static_assert(signers::Signer<ToySigner>);

// A RemoteSigner that signs `budget` objects and then stops for good, as keyless signing
// does when its permission is withdrawn: every later object fails and stopped_by says why.
class StoppingRemoteSigner {
 public:
  struct Scratch {
    std::vector<SignError> outcomes;
    std::vector<std::string> urls;
  };
  explicit StoppingRemoteSigner(std::uint64_t budget) : budget_(budget) {}

  [[nodiscard]] SignError sign(ObjectRef const& o, Scratch& s, std::string& out) const noexcept {
    sign_all(std::span<ObjectRef const>(&o, 1), s);
    if (s.outcomes[0] == SignError::kOk) append_url(s, 0, out);
    return s.outcomes[0];
  }
  void sign_all(std::span<ObjectRef const> objects, Scratch& s) const noexcept {
    s.outcomes.assign(objects.size(), SignError::kOk);
    s.urls.assign(objects.size(), std::string());
    for (std::size_t i = 0; i < objects.size(); ++i) {
      if (signed_.fetch_add(1) >= budget_) {
        std::lock_guard lock(mutex_);
        if (!why_) why_ = make_error(ErrorKind::kAuth, "keyless signing stopped: 403");
        s.outcomes[i] = SignError::kRemoteFailed;
        continue;
      }
      s.urls[i] = "https://toy.example/" + std::string(objects[i].key);
    }
  }
  [[nodiscard]] SignError outcome(Scratch const& s, std::size_t i) const noexcept {
    return s.outcomes[i];
  }
  void append_url(Scratch const& s, std::size_t i, std::string& out) const noexcept {
    out += s.urls[i];
  }
  [[nodiscard]] std::optional<Error> stopped_by() const {
    std::lock_guard lock(mutex_);
    return why_;
  }

 private:
  std::uint64_t budget_;
  mutable std::atomic<std::uint64_t> signed_{0};
  mutable std::mutex mutex_;
  mutable std::optional<Error> why_;
};
static_assert(signers::RemoteSigner<StoppingRemoteSigner>);

// Finishes batches out of order: later batches often complete before earlier ones.
class ShufflingBatchSigner final : public BatchSigner {
 public:
  explicit ShufflingBatchSigner(BatchSigner const& inner) : inner_(inner) {}
  void reserve_workers(std::size_t workers) const override { inner_.reserve_workers(workers); }
  [[nodiscard]] std::optional<Error> stopped_by() const override { return inner_.stopped_by(); }
  using BatchSigner::sign_batch;
  void sign_batch(io::Batch& batch, std::size_t worker) const override {
    std::this_thread::sleep_for(std::chrono::microseconds((batch.seq * 7919) % 7 * 150));
    inner_.sign_batch(batch, worker);
  }

 private:
  BatchSigner const& inner_;
};

std::vector<std::string> numbered_keys(std::size_t n, std::string const& prefix = "key-") {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) {
    char buf[24];  // room for any size_t: -Wformat-truncation checks the type's range
    std::snprintf(buf, sizeof buf, "%06zu", i);
    keys.push_back(prefix + buf);
  }
  return keys;
}

// Uneven page sizes, including empty pages and pages larger than typical token counts.
std::vector<std::size_t> const kUneven = {1, 0, 7, 3, 0, 64, 2, 129, 1, 1, 0, 31};

// The expected output of a job, formatted one object at a time on this thread.
template <class S>
std::string expected_output(S const& signer, io::RecordFormatter const& f,
                            std::vector<std::string> const& keys, std::uint64_t* errors = nullptr) {
  typename S::Scratch scratch{};
  std::string out = f.header();
  bool any = false;
  std::uint64_t failed = 0;
  for (auto const& k : keys) {
    ObjectRef const o{k, {}};
    std::string rec;
    f.begin(rec, o);
    SignError const e = signer.sign(o, scratch, rec);
    if (e == SignError::kOk) {
      f.end(rec, o);
    } else {
      ++failed;
      rec.clear();
      if (!f.has_error_records()) continue;
      f.error_record(rec, o, describe(e));
    }
    if (any) out += f.separator();
    out += rec;
    any = true;
  }
  out += f.footer(any);
  if (errors) *errors = failed;
  return out;
}

signers::sigv4::S3Presigner make_s3() { return test::example_s3_signer(); }

PipelineOptions quiet_options(unsigned threads, std::size_t tokens,
                              std::string* errors_out = nullptr) {
  PipelineOptions o;
  o.threads = threads;
  o.tokens = tokens;
  o.on_object_errors = [errors_out](std::string_view s) {
    if (errors_out) *errors_out += s;
  };
  return o;
}

}  // namespace

TEST_SUITE("engine.pipeline") {
  TEST_CASE("output is complete and in input order for 1, 2 and 8 threads and any token count") {
    auto const keys = numbered_keys(3000);
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kNdjson, "2024-01-01T00:15:00Z");
    FormattingBatchSigner<ToySigner> const inner(toy, fmt);
    ShufflingBatchSigner const signer(inner);
    std::string const want = expected_output(toy, fmt, keys);
    for (unsigned threads : {1U, 2U, 8U}) {
      for (std::size_t tokens :
           {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{8}, std::size_t{0}}) {
        INFO("threads " << threads << " tokens " << tokens);
        VectorSource src(keys, kUneven);
        MemorySink sink;
        auto const stats = run_pipeline(src, signer, fmt, sink, quiet_options(threads, tokens));
        REQUIRE(stats.has_value());
        CHECK(sink.commits == 1);
        CHECK(sink.data == want);
        CHECK(stats->objects == keys.size());
        CHECK(stats->errors == 0);
        CHECK(stats->bytes == want.size());
        CHECK(stats->threads == threads);
      }
    }
  }

  TEST_CASE("the real S3 presigner gives the same bytes through the pipeline as one by one") {
    auto const s3 = make_s3();
    auto keys = numbered_keys(500, "dir/sp ace/\xC3\xA9-");
    io::RecordFormatter const fmt(io::Format::kNdjson, format_rfc3339(s3.expires_at()));
    FormattingBatchSigner<signers::sigv4::S3Presigner> const signer(s3, fmt);
    std::string const want = expected_output(s3, fmt, keys);
    for (unsigned threads : {1U, 8U}) {
      VectorSource src(keys, kUneven);
      MemorySink sink;
      auto const stats = run_pipeline(src, signer, fmt, sink, quiet_options(threads, 4));
      REQUIRE(stats.has_value());
      CHECK(sink.data == want);
    }
  }

  TEST_CASE("empty and too-long keys become ndjson error records and are counted") {
    auto const s3 = make_s3();
    std::vector<std::string> keys = numbered_keys(300);
    std::vector<std::size_t> bad_at;
    for (std::size_t i = 5; i < keys.size(); i += 23) {
      keys[i] = (i / 23) % 2 ? std::string() : std::string(1025, 'L');
      bad_at.push_back(i);
    }
    keys.back() = std::string(1024, 'M');  // the longest valid key is fine
    io::RecordFormatter const fmt(io::Format::kNdjson, format_rfc3339(s3.expires_at()));
    FormattingBatchSigner<signers::sigv4::S3Presigner> const signer(s3, fmt);
    std::uint64_t want_errors = 0;
    std::string const want = expected_output(s3, fmt, keys, &want_errors);
    REQUIRE(want_errors == bad_at.size());
    for (unsigned threads : {1U, 2U, 8U}) {
      INFO("threads " << threads);
      VectorSource src(keys, kUneven);
      MemorySink sink;
      std::string error_log;
      auto const stats =
          run_pipeline(src, signer, fmt, sink, quiet_options(threads, 3, &error_log));
      REQUIRE(stats.has_value());
      CHECK(stats->errors == bad_at.size());
      CHECK(stats->objects == keys.size());
      CHECK(sink.commits == 1);
      CHECK(sink.data == want);

      // Every line parses; error records sit exactly where the bad keys were.
      simdjson::dom::parser parser;
      std::size_t line_no = 0, next_bad = 0;
      std::string_view rest = sink.data;
      while (!rest.empty()) {
        auto const nl = rest.find('\n');
        REQUIRE(nl != std::string_view::npos);
        simdjson::dom::element obj;
        REQUIRE_FALSE(parser.parse(std::string(rest.substr(0, nl))).get(obj));
        bool const is_error = !obj["error"].error();
        bool const should_be = next_bad < bad_at.size() && bad_at[next_bad] == line_no;
        CHECK(is_error == should_be);
        if (should_be) {
          std::string_view reason;
          REQUIRE_FALSE(obj["error"].get(reason));
          CHECK(reason ==
                describe(keys[line_no].empty() ? SignError::kEmptyKey : SignError::kKeyTooLong));
          ++next_bad;
        }
        rest.remove_prefix(nl + 1);
        ++line_no;
      }
      CHECK(line_no == keys.size());

      // The error log has one line per failure, in input order, numbered from 1.
      std::size_t pos = 0;
      for (std::size_t i : bad_at) {
        std::string const tag = "presign: object " + std::to_string(i + 1) + " '";
        auto const at = error_log.find(tag, pos);
        REQUIRE(at != std::string::npos);
        pos = at + tag.size();
      }
      CHECK(static_cast<std::size_t>(std::count(error_log.begin(), error_log.end(), '\n')) ==
            bad_at.size());
    }
  }

  TEST_CASE("a failed key is reported by its input line when the source gives line numbers") {
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kUrls, "x");
    FormattingBatchSigner<ToySigner> const signer(toy, fmt);
    std::string const long_key(signers::kMaxKeyBytes + 1, 'k');
    io::Batch batch;
    batch.first_index = 10;
    batch.data = "ok";
    batch.objects = {ObjectRef{batch.data, {}}, ObjectRef{long_key, {}}};
    signer.sign_batch(batch);
    CHECK(batch.errors == 1);
    CHECK(batch.error_log.starts_with("presign: object 12 'kkk"));  // a listing: the index

    batch.out.clear();
    batch.error_log.clear();
    batch.errors = 0;
    batch.lines = {3, 7};  // a key file: line 7 (empty lines skipped before it)
    signer.sign_batch(batch);
    CHECK(batch.errors == 1);
    CHECK(batch.error_log.starts_with("presign: line 7 'kkk"));
  }

  TEST_CASE("a source error stops the job, is returned, and the sink is not committed") {
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kNdjson, "x");
    FormattingBatchSigner<ToySigner> const inner(toy, fmt);
    ShufflingBatchSigner const signer(inner);
    for (unsigned threads : {1U, 2U, 8U}) {
      for (std::uint64_t fail_at : {0U, 1U, 5U, 40U}) {
        INFO("threads " << threads << " fail_at " << fail_at);
        VectorSource src(numbered_keys(2000), kUneven, fail_at);
        MemorySink sink;
        auto const stats = run_pipeline(src, signer, fmt, sink, quiet_options(threads, 4));
        REQUIRE_FALSE(stats.has_value());
        CHECK(stats.error().kind == ErrorKind::kNetwork);
        CHECK(stats.error().detail == "listing page " + std::to_string(fail_at) + " failed");
        CHECK(sink.commits == 0);
      }
    }
  }

  TEST_CASE("a remote signer that stops ends the job with its error, writing nothing after") {
    io::RecordFormatter const fmt(io::Format::kNdjson, "x");
    for (unsigned threads : {1U, 2U, 8U}) {
      for (std::uint64_t budget : {0U, 100U, 1500U}) {
        INFO("threads " << threads << " budget " << budget);
        StoppingRemoteSigner const remote(budget);
        FormattingBatchSigner<StoppingRemoteSigner> const inner(remote, fmt);
        ShufflingBatchSigner const signer(inner);
        VectorSource src(numbered_keys(2000), kUneven);
        MemorySink sink;
        std::string object_errors;
        RunStats failed;
        PipelineOptions opts = quiet_options(threads, 4, &object_errors);
        opts.failure_stats = &failed;
        auto const stats = run_pipeline(src, signer, fmt, sink, opts);
        REQUIRE_FALSE(stats.has_value());
        CHECK(stats.error().kind == ErrorKind::kAuth);
        CHECK(stats.error().detail == "keyless signing stopped: 403");
        CHECK(sink.commits == 0);
        // No batch the stop touched was written: no error record, no per-object error line.
        CHECK(sink.data.find("\"error\"") == std::string::npos);
        CHECK(object_errors.empty());
        CHECK(failed.signer_stopped);
        CHECK(failed.errors == 0);
        CHECK(failed.objects <= budget);
      }
    }
  }

  TEST_CASE("a source error leaves no output file behind an atomic file sink") {
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kLabelbox, "x");
    FormattingBatchSigner<ToySigner> const signer(toy, fmt);
    std::string pattern = (fs::temp_directory_path() / "presign-pipe-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    fs::path const dir = pattern;
    {
      auto sink = io::make_atomic_file_sink((dir / "out.json").string());
      REQUIRE(sink.has_value());
      VectorSource src(numbered_keys(1000), kUneven, 7);
      auto const stats = run_pipeline(src, signer, fmt, **sink, quiet_options(2, 0));
      REQUIRE_FALSE(stats.has_value());
    }
    CHECK(fs::is_empty(dir));
    fs::remove_all(dir);
  }

  TEST_CASE("a sink write error stops the job and is returned") {
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kNdjson, "x");
    FormattingBatchSigner<ToySigner> const signer(toy, fmt);
    for (int fail_write : {0, 1, 10}) {
      for (unsigned threads : {1U, 8U}) {
        INFO("fail_write " << fail_write << " threads " << threads);
        VectorSource src(numbered_keys(3000), kUneven);
        MemorySink sink(fail_write);
        auto const stats = run_pipeline(src, signer, fmt, sink, quiet_options(threads, 2));
        REQUIRE_FALSE(stats.has_value());
        CHECK(stats.error().detail.find("No space left") != std::string::npos);
        CHECK(sink.commits == 0);
      }
    }
  }

  TEST_CASE("labelbox output is one valid JSON array across batch boundaries and failures") {
    auto const s3 = make_s3();
    std::vector<std::string> keys = numbered_keys(400);
    // Whole pages of bad keys (labelbox leaves failures out) next to good ones and empty pages.
    for (std::size_t i = 0; i < 8; ++i) keys[i] = std::string();
    for (std::size_t i = 100; i < 140; ++i) keys[i] = std::string(2000, 'x');
    keys.back() = std::string();
    io::RecordFormatter const fmt(io::Format::kLabelbox, "");
    FormattingBatchSigner<signers::sigv4::S3Presigner> const signer(s3, fmt);
    std::uint64_t want_errors = 0;
    std::string const want = expected_output(s3, fmt, keys, &want_errors);
    for (unsigned threads : {1U, 2U, 8U}) {
      for (std::size_t tokens : {std::size_t{1}, std::size_t{5}}) {
        INFO("threads " << threads << " tokens " << tokens);
        VectorSource src(keys, kUneven);
        MemorySink sink;
        auto const stats = run_pipeline(src, signer, fmt, sink, quiet_options(threads, tokens));
        REQUIRE(stats.has_value());
        CHECK(stats->errors == want_errors);
        CHECK(sink.data == want);
        simdjson::dom::parser parser;
        simdjson::dom::array arr;
        REQUIRE_FALSE(parser.parse(sink.data).get(arr));
        CHECK(arr.size() == keys.size() - want_errors);
        std::size_t k = 0;
        for (simdjson::dom::element e : arr) {
          while (keys[k].empty() || keys[k].size() > 1024) ++k;
          std::string_view gk;
          REQUIRE_FALSE(e["global_key"].get(gk));
          CHECK(gk == keys[k]);
          ++k;
        }
      }
    }
  }

  TEST_CASE("labelbox output is an empty JSON array when nothing is signed") {
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kLabelbox, "");
    FormattingBatchSigner<ToySigner> const signer(toy, fmt);
    for (auto const& keys :
         {std::vector<std::string>{}, std::vector<std::string>{"", std::string(1025, 'x'), ""}}) {
      for (unsigned threads : {1U, 8U}) {
        VectorSource src(keys, kUneven);
        MemorySink sink;
        auto const stats = run_pipeline(src, signer, fmt, sink, quiet_options(threads, 0));
        REQUIRE(stats.has_value());
        CHECK(sink.data == "[\n]\n");
        CHECK(sink.commits == 1);
        CHECK(stats->objects == keys.size());
        CHECK(stats->errors == keys.size());
        simdjson::dom::parser parser;
        simdjson::dom::array arr;
        REQUIRE_FALSE(parser.parse(sink.data).get(arr));
        CHECK(arr.size() == 0);
      }
    }
  }

  TEST_CASE("progress is reported while the job runs and the final report counts every object") {
    // Long enough (delayed batches) for many ticks to overlap the input filter. The progress
    // thread must only read what the pipeline publishes for it, never the source itself, which
    // the input filter is mutating at the same time (sources are not thread-safe).
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kUrls, "");
    FormattingBatchSigner<ToySigner> const inner(toy, fmt);
    ShufflingBatchSigner const signer(inner);
    VectorSource src(numbered_keys(5000), kUneven);
    MemorySink sink;
    auto opts = quiet_options(2, 0);
    std::mutex mu;
    std::vector<Progress> reports;
    opts.progress_interval = std::chrono::milliseconds(1);
    opts.on_progress = [&](Progress const& p) {
      std::lock_guard lock(mu);
      reports.push_back(p);
    };
    auto const stats = run_pipeline(src, signer, fmt, sink, opts);
    REQUIRE(stats.has_value());
    REQUIRE_FALSE(reports.empty());
    CHECK(reports.back().final);
    CHECK(reports.size() > 2);
    CHECK(reports.back().objects == 5000);
    CHECK(reports.back().bytes == sink.data.size());
    CHECK(reports.back().fraction == doctest::Approx(1.0));
    for (std::size_t i = 0; i + 1 < reports.size(); ++i) {
      CHECK_FALSE(reports[i].final);
      CHECK(reports[i].objects <= reports[i + 1].objects);
      CHECK(reports[i].fraction <= reports[i + 1].fraction);
    }
  }

  TEST_CASE("a checkpointed job records itself complete with its final length before publishing") {
    // A kill between the publishing rename and the checkpoint's removal must leave a
    // checkpoint that says "finished, N bytes", so --resume only finishes the rename. Here the
    // publish step fails instead of the process dying: the checkpoint is what a kill leaves.
    ToySigner const toy;
    io::RecordFormatter const fmt(io::Format::kLabelbox, "x");
    FormattingBatchSigner<ToySigner> const signer(toy, fmt);
    std::string pattern = (fs::temp_directory_path() / "presign-ck-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    fs::path const dir = pattern;
    std::string const out = (dir / "out.json").string();
    std::string const part = io::resumable_part_path(out);
    std::string const ck_path = (dir / "job.ck").string();

    class FailingCommit final : public io::OutputSink {
     public:
      explicit FailingCommit(std::unique_ptr<io::OutputSink> inner) : inner_(std::move(inner)) {}
      Result<void> write(std::string_view d) override { return inner_->write(d); }
      Result<void> sync() override { return inner_->sync(); }
      Result<void> commit() override {
        return make_error(ErrorKind::kIo, "killed while publishing");
      }
      [[nodiscard]] std::string const& name() const override { return inner_->name(); }
      [[nodiscard]] std::string const& part_path() const override { return inner_->part_path(); }

     private:
      std::unique_ptr<io::OutputSink> inner_;
    };
    {
      auto inner = io::make_resumable_file_sink(out, part, std::nullopt);
      REQUIRE(inner.has_value());
      FailingCommit sink(std::move(*inner));
      auto writer = CheckpointWriter::open(ck_path);
      REQUIRE(writer.has_value());
      auto opts = quiet_options(2, 0);
      opts.checkpoint = &*writer;
      opts.start.part_path = part;
      VectorSource src(numbered_keys(2500), kUneven);
      auto const stats = run_pipeline(src, signer, fmt, sink, opts);
      REQUIRE_FALSE(stats.has_value());
      CHECK(stats.error().detail == "killed while publishing");
    }
    auto const ck = load_checkpoint(ck_path);
    REQUIRE(ck.has_value());
    REQUIRE(ck->has_value());
    CHECK((*ck)->complete);
    CHECK((*ck)->objects == 2500);
    CHECK((*ck)->output_bytes == fs::file_size(part));
    REQUIRE(io::finish_resumable_output(out, part, (*ck)->output_bytes).has_value());
    MemorySink reference;
    VectorSource again(numbered_keys(2500), kUneven);
    REQUIRE(run_pipeline(again, signer, fmt, reference, quiet_options(1, 0)).has_value());
    std::ifstream in(out, std::ios::binary);
    std::string const published((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
    CHECK(published == reference.data);
    fs::remove_all(dir);
  }
}
