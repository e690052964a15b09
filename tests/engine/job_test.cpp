// The job as a library call (engine/job.hpp): a key file and a listing (an in-process page
// fetcher, no network) through the real S3 signer into real files; cancellation through a
// CancelSource with the checkpoint kept and a resume that completes the same bytes; the
// failures that must leave no output file; what the observer is told.
#include "presign/engine/job.hpp"

#include "presign/signers/sigv4.hpp"

#include "example_s3_signer.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

using namespace presign;
using namespace presign::engine;
using presign::test::TempDir;
namespace fs = std::filesystem;

namespace {

signers::sigv4::S3Presigner make_job_s3() { return test::example_s3_signer(); }

std::string key_name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "job/k%06d.bin", i);
  return buf;
}

std::string read_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Serves `pages` pages of `per_page` ascending keys. When `requester` is set, asking for page
// `cancel_page` requests it (the page itself is still served, as a fetch already under way
// would be). `config_error` makes the first page fail as a missing bucket does.
struct PagedFetcher final : io::PageFetcher {
  int pages = 10;
  int per_page = 100;
  CancelSource* requester = nullptr;
  int cancel_page = 0;
  bool config_error = false;
  std::atomic<int>* fetched = nullptr;

  Result<void> fetch(io::ListRequest const& req, io::ListPage& page, std::string& keys) override {
    page.clear();
    int const n = req.token.empty() ? 0 : std::stoi(req.token);
    if (fetched != nullptr) fetched->fetch_add(1);
    // As the real fetchers do: once cancelled, no page is served any more.
    if (cancelled.load()) return make_error(ErrorKind::kCancelled, "listing cancelled");
    if (config_error) return make_error(ErrorKind::kConfig, "no such bucket: examplebucket");
    if (requester != nullptr && n + 1 == cancel_page) requester->request();
    for (int i = n * per_page; i < (n + 1) * per_page; ++i) {
      std::string const k = key_name(i);
      io::ListedObject o;
      o.key = {keys.size(), k.size()};
      keys += k;
      page.objects.push_back(o);
    }
    page.truncated = n + 1 < pages;
    if (page.truncated) page.next_token = std::to_string(n + 1);
    return {};
  }
  [[nodiscard]] std::string describe() const override { return "test://examplebucket/job/"; }
  void cancel() noexcept override { cancelled.store(true); }
  std::atomic<bool> cancelled{false};
};

ListingInput listing(std::unique_ptr<PagedFetcher> f) {
  io::ListingOptions o;
  o.prefix = "job/";
  o.page_size = static_cast<std::uint32_t>(f->per_page);
  return ListingInput{std::move(f), o};
}

JobSpec base_spec(std::string const& output) {
  JobSpec spec;
  spec.output = output;
  spec.format = io::Format::kUrls;
  spec.threads = 2;
  spec.fingerprint = "job-test-fingerprint";
  spec.signing_time = parse_rfc3339("2024-01-01T00:00:00Z").value();
  spec.expires_at = spec.signing_time + std::chrono::seconds(900);
  return spec;
}

// A RemoteSigner that signs `budget` objects, then stops for good with `why` (keyless signing
// whose account was deleted: a configuration error).
class StoppingSigner {
 public:
  struct Scratch {
    std::vector<SignError> outcomes;
    std::vector<std::string> urls;
  };
  StoppingSigner(int budget, Error why) : budget_(budget), stop_with_(std::move(why)) {}

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
        why_ = stop_with_;
        s.outcomes[i] = SignError::kRemoteFailed;
        continue;
      }
      s.urls[i] = "https://remote.example/" + std::string(objects[i].key);
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
  int budget_;
  Error stop_with_;
  mutable std::atomic<int> signed_{0};
  mutable std::mutex mutex_;
  mutable std::optional<Error> why_;
};
static_assert(signers::RemoteSigner<StoppingSigner>);

// Records what the job tells it.
struct Recorder final : JobObserver {
  std::vector<std::string> partial_files;
  std::vector<std::uint64_t> resumed_at;
  void on_resuming(std::string const& /*checkpoint*/, std::uint64_t objects) override {
    resumed_at.push_back(objects);
  }
  void on_partial_file(std::string const& path) override { partial_files.push_back(path); }
};

}  // namespace

TEST_SUITE("engine.job") {
  TEST_CASE("a key-file job writes every key's URL in key order and reports its counts") {
    TempDir dir("presign-job");
    std::string keys;
    for (int i = 0; i < 5000; ++i) keys += key_name(i) + "\n";
    auto const out = dir.file("urls.txt");
    auto spec = base_spec(out);
    spec.input = KeyFileInput{dir.write("keys.txt", keys)};
    CancelSource cancel;
    Recorder seen;
    auto const r = run_job(make_job_s3(), std::move(spec), cancel, seen);
    REQUIRE_FALSE(r.error.has_value());
    CHECK(r.started);
    CHECK_FALSE(r.listing);
    CHECK(r.stats.objects == 5000);
    CHECK(r.stats.errors == 0);
    CHECK(r.warnings.empty());
    auto const got = lines_of(read_file(out));
    REQUIRE(got.size() == 5000);
    for (int i : {0, 1, 2500, 4999}) {
      CHECK(got[static_cast<std::size_t>(i)].starts_with("https://examplebucket.s3.amazonaws.com/" +
                                                         key_name(i) + "?X-Amz-Algorithm="));
    }
    // The temporary file was named for a hard stop, then cleared once the job ended.
    REQUIRE(seen.partial_files.size() == 2);
    CHECK(seen.partial_files[0].starts_with(dir.path().string()));
    CHECK(seen.partial_files[1].empty());
  }

  TEST_CASE("a key file with repeated keys is signed whole and the warning is returned") {
    TempDir dir("presign-job");
    auto spec = base_spec(dir.file("urls.txt"));
    spec.input = KeyFileInput{dir.write("keys.txt", "a\nb\na\n")};
    CancelSource cancel;
    JobObserver quiet;
    auto const r = run_job(make_job_s3(), std::move(spec), cancel, quiet);
    REQUIRE_FALSE(r.error.has_value());
    CHECK(r.stats.objects == 3);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("repeat") != std::string::npos);
  }

  TEST_CASE("a key file that cannot be opened fails the job and creates no output") {
    TempDir dir("presign-job");
    auto const out = dir.file("urls.txt");
    auto spec = base_spec(out);
    spec.input = KeyFileInput{dir.file("missing-keys.txt")};
    CancelSource cancel;
    JobObserver quiet;
    auto const r = run_job(make_job_s3(), std::move(spec), cancel, quiet);
    REQUIRE(r.error.has_value());
    CHECK(r.error->kind == ErrorKind::kIo);
    CHECK_FALSE(r.started);
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(dir.path()));  // no temporary file either
  }

  TEST_CASE(
      "a listing cancelled mid-way keeps its checkpoint and the resume completes the "
      "same bytes as an uninterrupted run") {
    TempDir dir("presign-job");
    CancelSource never;
    JobObserver quiet;
    auto clean_spec = base_spec(dir.file("clean.txt"));
    // 40 pages: the cancellation comes at page 10, well past what the listing prefetches
    // while the job opens its output, so it lands while the pipeline runs.
    auto pages = [] {
      auto f = std::make_unique<PagedFetcher>();
      f->pages = 40;
      return f;
    };
    clean_spec.input = listing(pages());
    auto const clean = run_job(make_job_s3(), std::move(clean_spec), never, quiet);
    REQUIRE_FALSE(clean.error.has_value());
    CHECK(clean.listing);
    CHECK(clean.stats.objects == 4000);
    std::string const want = read_file(dir.file("clean.txt"));

    auto const out = dir.file("out.txt");
    auto const ck = dir.file("out.ck");
    CancelSource cancel;
    auto f = pages();
    f->requester = &cancel;
    f->cancel_page = 10;
    auto spec = base_spec(out);
    spec.checkpoint = ck;
    spec.input = listing(std::move(f));
    Recorder first;
    auto const stopped = run_job(make_job_s3(), std::move(spec), cancel, first);
    REQUIRE(stopped.error.has_value());
    CHECK(stopped.error->kind == ErrorKind::kCancelled);
    CHECK(stopped.started);
    CHECK(stopped.stats.objects < 4000);
    CHECK(first.partial_files.empty());  // with a checkpoint the part file is kept, not named
    CHECK_FALSE(fs::exists(out));
    auto state = load_checkpoint(ck);
    REQUIRE(state.has_value());
    REQUIRE(state->has_value());
    CHECK((*state)->objects == stopped.stats.objects);

    auto resume = base_spec(out);
    resume.checkpoint = ck;
    resume.resume = **state;
    resume.input = listing(pages());
    CancelSource fresh;
    Recorder second;
    auto const done = run_job(make_job_s3(), std::move(resume), fresh, second);
    REQUIRE_FALSE(done.error.has_value());
    CHECK(done.stats.resumed);
    CHECK(done.stats.objects == 4000);
    CHECK(done.stats.objects_this_run == 4000 - (*state)->objects);
    CHECK(second.resumed_at == std::vector<std::uint64_t>{(*state)->objects});
    CHECK(read_file(out) == want);
    CHECK_FALSE(fs::exists(ck));
  }

  TEST_CASE("a cancellation before the job starts leaves no output and lists nothing") {
    TempDir dir("presign-job");
    auto const out = dir.file("urls.txt");
    std::atomic<int> fetched{0};
    auto f = std::make_unique<PagedFetcher>();
    f->fetched = &fetched;
    auto spec = base_spec(out);
    spec.input = listing(std::move(f));
    CancelSource cancel;
    cancel.request();
    JobObserver quiet;
    auto const r = run_job(make_job_s3(), std::move(spec), cancel, quiet);
    REQUIRE(r.error.has_value());
    CHECK(r.error->kind == ErrorKind::kCancelled);
    CHECK_FALSE(r.started);
    CHECK_FALSE(fs::exists(out));
    // The listing's thread may have asked for the first page (refused: cancelled), no more.
    CHECK(fetched.load() <= 1);
  }

  TEST_CASE("a missing bucket while listing is a listing failure and creates no output") {
    TempDir dir("presign-job");
    auto const out = dir.file("urls.txt");
    auto f = std::make_unique<PagedFetcher>();
    f->config_error = true;
    auto spec = base_spec(out);
    spec.input = listing(std::move(f));
    CancelSource cancel;
    JobObserver quiet;
    auto const r = run_job(make_job_s3(), std::move(spec), cancel, quiet);
    REQUIRE(r.error.has_value());
    CHECK(r.error->kind == ErrorKind::kProtocol);
    CHECK(r.error->detail.find("no such bucket") != std::string::npos);
    CHECK_FALSE(r.started);
    CHECK_FALSE(fs::exists(out));
  }

  TEST_CASE("a signer that stops while a listing is signed fails the job with its own error") {
    TempDir dir("presign-job");
    auto const out = dir.file("urls.txt");
    auto spec = base_spec(out);
    spec.input = listing(std::make_unique<PagedFetcher>());
    CancelSource cancel;
    JobObserver quiet;
    StoppingSigner const signer(
        250, make_error(ErrorKind::kConfig, "keyless signing stopped: no such service account"));
    auto const r = run_job(signer, std::move(spec), cancel, quiet);
    REQUIRE(r.error.has_value());
    // The signer's configuration error stays one (exit 3), not a listing failure (exit 5).
    CHECK(r.error->kind == ErrorKind::kConfig);
    CHECK(r.error->detail == "keyless signing stopped: no such service account");
    CHECK(r.started);
    CHECK(r.stats.signer_stopped);
    CHECK(r.stats.errors == 0);
    CHECK_FALSE(fs::exists(out));
    CHECK(fs::is_empty(dir.path()));
  }

  TEST_CASE("a resume of another job's checkpoint is refused before anything is opened") {
    TempDir dir("presign-job");
    std::atomic<int> fetched{0};
    auto f = std::make_unique<PagedFetcher>();
    f->fetched = &fetched;
    auto spec = base_spec(dir.file("urls.txt"));
    spec.checkpoint = dir.file("urls.ck");
    CheckpointState other;
    other.fingerprint = "another-job";
    spec.resume = other;
    spec.input = listing(std::move(f));
    CancelSource cancel;
    JobObserver quiet;
    auto const r = run_job(make_job_s3(), std::move(spec), cancel, quiet);
    REQUIRE(r.error.has_value());
    CHECK(r.error->kind == ErrorKind::kUsage);
    CHECK(r.error->detail.find("belongs to a job with other parameters") != std::string::npos);
    CHECK(fetched.load() == 0);
    CHECK(fs::is_empty(dir.path()));
  }
}
