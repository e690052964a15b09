#pragma once
// What every PageFetcher shares (s3_lister.cpp, azure_lister.cpp, gcs_lister.cpp): a cancel
// flag that `PageFetcher::cancel()` sets from another thread, and the retry sleeper that flag
// cuts short. Internal to presign_io.

#include "presign/io/http_client.hpp"
#include "presign/io/retry.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

namespace presign::io::detail {

class FetchCancel {
 public:
  /// Sets the flag and wakes any sleeper. Thread-safe, noexcept.
  void cancel() noexcept {
    {
      std::lock_guard lock(mutex_);
      cancelled_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }

  [[nodiscard]] bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_acquire);
  }

  /// The error an attempt returns once cancelled (kCancelled carries no transport code and
  /// no HTTP status, so the retry policy classes it fatal: never retried).
  [[nodiscard]] static Error cancelled_error() {
    return make_error(ErrorKind::kCancelled, "listing cancelled");
  }

  /// `env` with its sleeper wrapped: nothing is slept once cancelled; an injected sleeper is
  /// kept (tests), else the sleep is a wait that `cancel()` ends at once. Empty clocks and
  /// randomness take `RetryEnv::system()`'s. The returned env refers to `*this`, which must
  /// outlive it.
  RetryEnv wrap(RetryEnv env) {
    auto inner = std::move(env.sleep);
    env.sleep = [this, inner = std::move(inner)](std::chrono::milliseconds d) {
      if (cancelled()) return;
      if (inner) {
        inner(d);
        return;
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, d, [this] { return cancelled(); });
    };
    RetryEnv const sys = RetryEnv::system();
    if (!env.now) env.now = sys.now;
    if (!env.wall_now) env.wall_now = sys.wall_now;
    if (!env.uniform01) env.uniform01 = sys.uniform01;
    return env;
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

/// A 2xx page that would not parse, as every fetcher reports it: a parse failure has no code of
/// its own, so it is marked MalformedResponse and the retry policy treats it as transient
/// (never a short page); an error document in a 200 (S3 or Azure `<Error>`) keeps its code
/// and is retried or not by it. `what` names the body ("ListObjectsV2", "List Blobs", …).
inline Error malformed_page_error(Error e, int status, std::string_view url,
                                  std::string_view what) {
  if (e.provider_code.empty()) e.provider_code = std::string(transport_code::kMalformedResponse);
  e.http_status = status;
  e.detail = describe_request("GET", url) + ": HTTP " + std::to_string(status) +
             " with an unusable " + std::string(what) + " body: " + e.detail;
  return e;
}

}  // namespace presign::io::detail
