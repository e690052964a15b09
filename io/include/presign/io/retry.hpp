#pragma once
/// Retry policy for provider requests, modelled on the AWS SDKs' "standard" mode
/// (botocore `retries/standard.py` + `quota.py`, aws-sdk-go-v2 `aws/retry`), with the
/// Azure and GCS differences as profiles. Background and sources: docs/RELIABILITY.md §1.
///
/// - **Attempts**: `max_attempts` counts the first try (AWS default 3). Listing profiles use
///   `kListingMaxAttempts` (8): a listing page is idempotent and cheap, and one page that
///   gives up ends the whole listing, so it gets more patience than a single API call
///   (rclone retries a page 10 times, s5cmd 10 times); the shared quota below still stops a
///   storm long before 8 × every page.
/// - **Backoff**: retry *k* (1-based) waits `U[0,1) × min(base × 2^(k-1), max_backoff)`
///   ("truncated binary exponential backoff with full jitter", base 1 s, cap 20 s), or
///   Azure's `min(base × 2^(k-1) × U[0.8,1.3), max_backoff)` in the Azure profile.
/// - **Server hints**: `x-amz-retry-after` (ms), `retry-after-ms`, `x-ms-retry-after-ms` (ms)
///   and `Retry-After` (delta-seconds *or* an HTTP-date) raise the delay to at least the hint,
///   capped at `max_server_delay`.
/// - **Quota** (circuit breaker): one token bucket per policy object, shared by every call
///   that uses it: 500 tokens, a retry takes 5 (10 after a timeout), a first-try success
///   gives 1 back, a success after retries gives back what that call took. An empty bucket
///   stops retrying (the failure is returned at once).
/// - **What is retried**: statuses in `retryable_statuses`; provider codes in
///   `retryable_codes` whatever the status (S3 sends `RequestTimeout` with 400); transport
///   faults (refused, reset, timeout, truncated body, malformed response). Everything else
///   (400/403/404, ExpiredToken, TLS verification, body limit) fails after one attempt.
///
/// Time, sleeping and randomness are injected (`RetryEnv`) so tests run storms in
/// milliseconds. A `RetryPolicy` is thread-safe: many workers may share one (and its quota).

#include "presign/core/error.hpp"
#include "presign/io/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace presign::io {

/// Attempts per listing page in the `for_listing` profiles (see the file comment).
inline constexpr int kListingMaxAttempts = 8;

enum class RetryProvider : std::uint8_t { kAws, kGcs, kAzure };

/// How a failure counts. Timeouts cost more quota; throttles are counted apart in stats.
enum class FailureClass : std::uint8_t { kFatal, kTransient, kTimeout, kThrottle };

struct RetryOptions {
  enum class Jitter : std::uint8_t {
    kFull,   ///< U[0,1) × min(base·2^(k-1), cap)  (AWS standard)
    kAzure,  ///< min(base·2^(k-1) × U[0.8,1.3), cap)  (azure-sdk-for-cpp RetryPolicy)
  };

  int max_attempts = 3;  ///< first try included; 1 disables retries
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_backoff{20'000};
  Jitter jitter = Jitter::kFull;
  bool honour_server_hints = true;
  std::chrono::milliseconds max_server_delay{60'000};  ///< cap on a Retry-After style hint
  /// Give up when the next sleep would end after this much time since the call started
  /// (GCS's "retry for up to 15 minutes"); zero means no time budget.
  std::chrono::milliseconds max_elapsed{0};

  bool use_quota = true;
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int no_retry_increment = 1;

  std::vector<int> retryable_statuses{500, 502, 503, 504};
  /// Provider error codes retried whatever the status (transient and throttling codes).
  std::vector<std::string> retryable_codes;
  /// Of those, the ones that mean a throttle (stats only).
  std::vector<std::string> throttle_codes;
  /// Codes that mean a timeout (cost `timeout_retry_cost`).
  std::vector<std::string> timeout_codes;

  /// AWS SDK standard mode: 3 attempts, 1 s base, 20 s cap, full jitter, 500/502/503/504,
  /// the SDK's transient and throttling codes plus InternalError (s5cmd adds it too).
  static RetryOptions aws_standard();
  /// GCS retry strategy: 408, 429 and 5xx, 5 attempts (gRPC service config), 1 s base,
  /// 60 s cap, full jitter.
  static RetryOptions gcs();
  /// Azure Storage: 408, 500, 502, 503, 504 and ServerBusy/OperationTimedOut/InternalError,
  /// 4 attempts, 800 ms base, 60 s cap, jitter [0.8, 1.3). (The Azure SDK has no quota;
  /// ours stays on as a circuit breaker across partitions.)
  static RetryOptions azure();
  /// The provider profile with `max_attempts = kListingMaxAttempts`, and 408 and 429 added
  /// to the retried statuses (a list page is idempotent; S3-compatible servers and proxies
  /// throttle with 429 where S3 says 503 SlowDown).
  static RetryOptions for_listing(RetryProvider provider);
};

/// What a retry observer is told (see `RetryEnv::on_retry`). The views are valid during the
/// call only.
struct RetryEvent {
  enum class Kind : std::uint8_t {
    kRetry,      ///< attempt `attempt` failed; the next one starts after `delay`
    kRecovered,  ///< the call succeeded at attempt `attempt` (> 1), after retries
  };
  Kind kind = Kind::kRetry;
  /// What is retried, as the caller named it (`RetryPolicy::run`/`begin`): "page 3",
  /// "token request"; empty when unnamed.
  std::string_view what;
  /// Why (kRetry only): `retry_reason` of the failure, e.g. "connection refused",
  /// "HTTP 503 SlowDown: Please reduce your request rate." Never a URL's query, a header
  /// or a response body beyond the provider's short message.
  std::string_view reason;
  int attempt = 1;       ///< 1-based number of the attempt that failed (kRetry) or succeeded
  int max_attempts = 1;  ///< the policy's `max_attempts`
  std::chrono::milliseconds delay{0};  ///< the sleep before the next attempt (kRetry)
};

/// Called on the thread running the call; must not throw and should be quick.
using RetryObserver = std::function<void(RetryEvent const&)>;

/// Clock, sleeper and randomness, and the retry observer. Defaults: steady and system clocks,
/// `sleep_for`, a per-thread Mersenne Twister seeded from `std::random_device`, no observer.
struct RetryEnv {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<std::chrono::system_clock::time_point()> wall_now;  ///< for HTTP-date hints
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> uniform01;  ///< in [0, 1)
  /// Told about every retry (after the failed attempt, before the sleep) and about a
  /// success after retries, so that a caller can report them (`presign` prints
  /// "page 3: connection refused; retry 2/8 in 1.6 s"). Empty: nobody is told.
  RetryObserver on_retry;

  static RetryEnv system();
};

/// The token bucket (thread-safe).
class RetryQuota {
 public:
  explicit RetryQuota(int capacity) : capacity_(capacity), available_(capacity) {}

  /// Takes `cost` tokens; false (and nothing taken) when fewer are left.
  bool acquire(int cost);
  /// Gives back `amount`, never above the capacity.
  void release(int amount);
  [[nodiscard]] int available() const;

  [[nodiscard]] int capacity() const noexcept { return capacity_; }

 private:
  int const capacity_;
  mutable std::mutex mutex_;
  int available_;
};

/// What the caller's attempt function may tell the policy besides its Result.
struct AttemptContext {
  int attempt = 1;  ///< 1-based number of the attempt being made
  /// Server hint for the delay before the next attempt, if the failed response had one
  /// (set it from `retry_hint(response, ...)`).
  std::optional<std::chrono::milliseconds> retry_after;
};

/// Counters since construction.
struct RetryStats {
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t throttles = 0;         ///< failures classified kThrottle
  std::uint64_t timeouts = 0;          ///< failures classified kTimeout
  std::uint64_t gave_up_attempts = 0;  ///< calls that ended because attempts ran out
  std::uint64_t gave_up_quota = 0;     ///< calls that ended because the bucket was empty
  std::uint64_t gave_up_elapsed = 0;   ///< calls that ended because of max_elapsed
  std::uint64_t fatal = 0;             ///< calls that ended on a non-retryable error
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = RetryOptions::aws_standard(),
                       RetryEnv env = RetryEnv::system());

  /// Per-call state for callers that drive the loop themselves (e.g. from a coroutine):
  /// `begin()`, then after each failed attempt `on_failure` (sleep the returned delay and try
  /// again, or stop with the returned error), and `on_success` once it worked.
  struct Call {
    int attempts = 1;  ///< attempts made so far, counting the one that just finished
    int tokens_taken = 0;
    std::chrono::steady_clock::time_point started{};
    std::string what;  ///< for the observer's `RetryEvent::what`
  };

  /// `what` names the call for the retry observer ("page 3", "token request").
  [[nodiscard]] Call begin(std::string what = {});
  /// Decides after a failed attempt. Returns the delay before the next attempt, or the
  /// error to return: `last` itself when it is not retryable, else `last` with its detail
  /// prefixed "gave up after N attempts (<reason>): ".
  Result<std::chrono::milliseconds> on_failure(Call& call, Error const& last,
                                               std::optional<std::chrono::milliseconds> hint);
  void on_success(Call const& call);

  /// Runs `attempt(AttemptContext&)` (which returns some `Result<T>`) until it succeeds, a
  /// failure is not retryable, or attempts, quota or time run out. Sleeps with the injected
  /// sleeper between attempts. Returns the last result. `what` names the call for the retry
  /// observer (`RetryEnv::on_retry`).
  template <class F>
  auto run(F&& attempt, std::string what = {}) -> std::invoke_result_t<F&, AttemptContext&> {
    Call call = begin(std::move(what));
    for (;;) {
      AttemptContext ctx;
      ctx.attempt = call.attempts;
      auto result = attempt(ctx);
      if (result) {
        on_success(call);
        return result;
      }
      auto delay = on_failure(call, result.error(), ctx.retry_after);
      if (!delay) return delay.error();
      sleep(*delay);
      ++call.attempts;
    }
  }

  /// Classification used by `on_failure` (public for tests and for callers' logs).
  [[nodiscard]] FailureClass classify(Error const& error) const;
  /// The jittered backoff before retry number `retry` (1-based) for the random draw `u`.
  [[nodiscard]] std::chrono::milliseconds backoff(int retry, double u) const;

  [[nodiscard]] RetryOptions const& options() const noexcept { return options_; }

  [[nodiscard]] RetryQuota const& quota() const noexcept { return quota_; }

  [[nodiscard]] RetryStats stats() const;

  [[nodiscard]] RetryEnv const& env() const noexcept { return env_; }

  void sleep(std::chrono::milliseconds d) const { env_.sleep(d); }

 private:
  RetryOptions options_;
  RetryEnv env_;
  RetryQuota quota_;
  mutable std::mutex stats_mutex_;
  RetryStats stats_;
};

/// The short reason of a failure for a retry report: `error.detail` without the leading
/// request ("GET https://host/path: " and what precedes it), control characters blanked, cut
/// at 160 bytes: "connection refused", "HTTP 503 SlowDown: Please reduce your request rate.".
/// Details never carry a URL's query (describe_request) nor a response body beyond the
/// provider's <Message>, so neither does the reason.
std::string retry_reason(Error const& error);

/// Parses a `Retry-After` value: delta-seconds (`120`) or an HTTP-date in any of the three
/// RFC 9110 §5.6.7 forms (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
/// `Sunday, 06-Nov-94 08:49:37 GMT`, asctime `Sun Nov  6 08:49:37 1994`). A date is turned
/// into a delay from `now` (zero when it is past). Anything else gives nullopt.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// The server's delay hint of a response, first found of: `x-amz-retry-after` (ms),
/// `retry-after-ms` (ms), `x-ms-retry-after-ms` (ms), `Retry-After` (seconds or date).
std::optional<std::chrono::milliseconds> retry_hint(HttpResponse const& response,
                                                    std::chrono::system_clock::time_point now);

/// The provider error code of an error response: the `x-ms-error-code` or `x-amz-error-code`
/// header, else `<Code>` of an XML error body (S3, Azure, GCS XML API), else the first
/// `"reason"` of a JSON error body (GCS JSON API). Empty when none.
std::string provider_error_code(HttpResponse const& response);

/// Turns a non-2xx response into an `Error`: kAuth for 401/403, kProtocol otherwise;
/// `http_status` and `provider_code` set; the detail names the request (no query) and
/// quotes at most 200 bytes of the provider's `<Message>`, nothing else from the body.
Error error_from_response(HttpResponse const& response, std::string_view method,
                          std::string_view url);

/// `client.send` under `policy`: a 2xx response is success; any other status becomes
/// `error_from_response` with the response's delay hint; transport errors are classified
/// as they are. For callers that must inspect a 2xx body before accepting it (a list page
/// whose XML may be malformed), write the attempt function yourself and use `run`.
Result<HttpResponse> send_with_retry(HttpClient& client, HttpRequest const& request,
                                     RetryPolicy& policy);

}  // namespace presign::io
