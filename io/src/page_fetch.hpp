#pragma once
// The one page fetcher of every listing (io/src; not installed): request → auth → retry →
// parse, as a coroutine on the HTTP client's I/O thread.
//
// - A `PageStrategy` is what differs per cloud: the page's URL (query and continuation
//   token), how one attempt's request is authenticated (SigV4 signing, Azure Shared Key, a GCS
//   bearer token, which may itself be fetched asynchronously), how a 401 refreshes the
//   credential, how a non-2xx response becomes an error, and which parser reads the body.
//   s3_lister.cpp, azure_lister.cpp and gcs_lister.cpp hold the three strategies.
// - `PageFetch::fetch` is the loop they share: each attempt builds the request anew, sends it
//   with `co_send`, classifies the answer with the retry policy (presign/io/retry.hpp, the
//   same `on_failure`/`on_success` decisions as `RetryPolicy::run`), and parses a 2xx body
//   inside the attempt, so a malformed 200 is retried, never a short page
//   (docs/RELIABILITY.md §1.4). The backoff is an `asio::steady_timer` wait: the I/O thread
//   serves other fetches meanwhile.
// - Cancellation: a terminal cancellation emitted on the slot the fetch was spawned with
//   aborts the request on the wire or the backoff wait, and the fetch returns kCancelled at
//   once; so does the `std::atomic<bool>` of `FetchControl` (checked before every attempt
//   and wait), which lets a thread that is not the I/O thread cancel without a race.
// - `BlockingPageFetcher` is the edge: the `PageFetcher` the listing source's prefetch thread
//   calls. It spawns the fetch on the client's executor, waits for it, and turns
//   `PageFetcher::cancel()` (and so the job's `CancelSource`) into the flag plus the
//   cancellation signal.

#include "http_async.hpp"

#include "presign/io/http_client.hpp"
#include "presign/io/list_page.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace presign::io::detail {

namespace asio = boost::asio;
using http_detail::co_send;
using http_detail::exception_error;
using http_detail::Executor;
using http_detail::executor_of;

/// How a fetch (or a token request) notices a cancel and waits a backoff.
struct FetchControl {
  /// Set from any thread to cancel (may be null): checked before each attempt and wait.
  std::atomic<bool> const* cancelled = nullptr;
  /// An injected sleeper (tests: `RetryEnv::sleep` given by the caller), called instead of
  /// the timer wait; empty: an `asio::steady_timer` wait, cut short by a cancellation.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// The error a cancelled fetch returns (kCancelled carries no transport code and no HTTP
/// status, so the retry policy classes it fatal: never retried).
Error cancelled_error();

/// True when the flag of `control` is set or the running coroutine was cancelled.
asio::awaitable<bool> is_cancelled(FetchControl const& control);

/// After a failed attempt: asks `policy` (`on_failure`) and waits the backoff it returns.
/// Returns nothing when the next attempt may start, else the error to end with (the
/// policy's, or `cancelled_error()` when cancelled before or during the wait).
asio::awaitable<std::optional<Error>> back_off(RetryPolicy& policy, RetryPolicy::Call& call,
                                               Error const& failure,
                                               std::optional<std::chrono::milliseconds> hint,
                                               FetchControl const& control);

/// The retry loop of `RetryPolicy::run`, awaiting each attempt and each backoff. `attempt`
/// is a plain callable returning `asio::awaitable<Result<T>>` for an `AttemptContext&`.
template <class T, class Attempt>
asio::awaitable<Result<T>> retry_async(RetryPolicy& policy, std::string what,
                                       FetchControl const& control, Attempt attempt) {
  RetryPolicy::Call call = policy.begin(std::move(what));
  for (;;) {
    AttemptContext ctx;
    ctx.attempt = call.attempts;
    Result<T> result = co_await attempt(ctx);
    if (result) {
      policy.on_success(call);
      co_return result;
    }
    std::optional<Error> stop =
        co_await back_off(policy, call, result.error(), ctx.retry_after, control);
    if (stop) co_return std::move(*stop);
    ++call.attempts;
  }
}

/// The result of `work`, handed over through `out`: the coroutine block_on spawns returns
/// nothing. (co_spawn's completion for a value-returning awaitable default-constructs a
/// Result<T> on its exception path, on which g++ 12 under ASan warns falsely,
/// -Wmaybe-uninitialized, and -Werror stops the build.)
template <class T>
asio::awaitable<void> deliver(asio::awaitable<Result<T>> work, std::optional<Result<T>>& out) {
  out.emplace(co_await std::move(work));
}

/// Runs the coroutine `make()` returns on `ex` and blocks the calling thread (which must not
/// be `ex`'s) until it ends. With `signal` (touched on `ex`'s thread only), the coroutine is
/// spawned with its slot, so that an emit posted to `ex` cancels it.
template <class T, class Make>
Result<T> block_on(Executor const& ex, Make make, asio::cancellation_signal* signal = nullptr) {
  std::promise<Result<T>> promise;
  auto done = promise.get_future();
  std::optional<Result<T>> value;  // written and read on ex's thread only
  auto finish = [signal, &promise, &value](std::exception_ptr const& e) {
    if (signal != nullptr) signal->slot().clear();
    if (e) {
      promise.set_value(exception_error(e, "async I/O"));
    } else if (!value) {
      promise.set_value(make_error(ErrorKind::kInternal, "async I/O ended without a result"));
    } else {
      promise.set_value(std::move(*value));
    }
  };
  // Spawned from the executor's own thread: the signal's slot is bound there, where emits run.
  asio::post(ex, [&] {
    if (signal != nullptr) {
      asio::co_spawn(ex, deliver<T>(make(), value),
                     asio::bind_cancellation_slot(signal->slot(), finish));
    } else {
      asio::co_spawn(ex, deliver<T>(make(), value), finish);
    }
  });
  return done.get();
}

/// Which parser reads a 2xx body.
enum class PageFormat : std::uint8_t { kS3, kAzure, kGcs };

/// What differs per cloud (see the file comment). One fetch at a time uses a strategy.
class PageStrategy {
 public:
  virtual ~PageStrategy() = default;
  /// The URL of the page `req` names (query and continuation token encoded).
  [[nodiscard]] virtual std::string url(ListRequest const& req) const = 0;
  /// One attempt's request for `url`, authenticated anew. A failure ends the fetch at once
  /// (a refused key or a token endpoint that already retried: not the page's to retry).
  virtual asio::awaitable<Result<HttpRequest>> request(ListRequest const& req,
                                                       std::string const& url,
                                                       FetchControl const& control) = 0;
  /// The last request was answered 401: true when a fresh credential can be had; the
  /// request is then made and sent again within the same attempt (once per fetch).
  virtual bool invalidate() { return false; }
  /// A non-2xx response as the error the caller sees.
  [[nodiscard]] virtual Error status_error(HttpResponse const& response,
                                           std::string_view url) const = 0;
  [[nodiscard]] virtual PageFormat format() const noexcept = 0;
  /// The bucket or container the page must name (an empty `ListPage::bucket` is not
  /// checked); empty: no check. `owner_word` names it in messages.
  [[nodiscard]] virtual std::string_view expected_owner() const noexcept { return {}; }
  [[nodiscard]] virtual std::string_view owner_word() const noexcept { return "bucket"; }
  /// "s3://bucket/prefix" style name of what is listed (PageFetcher::describe).
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// One listing's fetch: a strategy, the client it sends on (shared: many fetches may use
/// one client and its one I/O thread) and its retry policy (its quota shared by its pages).
class PageFetch {
 public:
  /// `env.sleep`, when set, is the injected sleeper of `FetchControl::sleep`.
  PageFetch(std::unique_ptr<PageStrategy> strategy, std::shared_ptr<HttpClient> client,
            RetryOptions const& retry, RetryEnv env);

  /// Fetches the page `req` names (the `PageFetcher::fetch` contract). Must run on
  /// `executor_of(client())`; one fetch at a time per PageFetch. `cancelled` (may be null)
  /// is the flag of `FetchControl`.
  asio::awaitable<Result<void>> fetch(ListRequest const& req, ListPage& page,
                                      std::string& key_bytes,
                                      std::atomic<bool> const* cancelled = nullptr);

  [[nodiscard]] HttpClient& client() noexcept { return *client_; }
  [[nodiscard]] PageStrategy const& strategy() const noexcept { return *strategy_; }
  [[nodiscard]] RetryPolicy const& retry() const noexcept { return retry_; }

 private:
  asio::awaitable<Result<void>> attempt(AttemptContext& ctx, ListRequest const& req,
                                        std::string const& url, FetchControl const& control,
                                        bool& refreshed, std::optional<Error>& final_error,
                                        ListPage& page, std::string& key_bytes, std::size_t entry);
  Result<void> parse(HttpResponse const& response, std::string_view url, ListPage& page,
                     std::string& key_bytes);

  std::unique_ptr<PageStrategy> strategy_;
  std::shared_ptr<HttpClient> client_;
  std::function<void(std::chrono::milliseconds)> injected_sleep_;
  RetryPolicy retry_;
  ListPageParser parser_;
};

/// The blocking edge (see the file comment).
class BlockingPageFetcher final : public PageFetcher {
 public:
  explicit BlockingPageFetcher(std::unique_ptr<PageFetch> fetch);
  ~BlockingPageFetcher() override;
  BlockingPageFetcher(BlockingPageFetcher const&) = delete;
  BlockingPageFetcher& operator=(BlockingPageFetcher const&) = delete;

  Result<void> fetch(ListRequest const& req, ListPage& page, std::string& key_bytes) override;
  [[nodiscard]] std::string describe() const override;
  void cancel() noexcept override;

 private:
  // Declared before fetch_: the client (inside fetch_) joins its I/O thread first, which
  // may still run a posted emit on signal_.
  std::atomic<bool> cancelled_{false};
  asio::cancellation_signal signal_;  // used on the I/O thread only
  std::unique_ptr<PageFetch> fetch_;
};

/// `client` when given, else a new client with `http` (kConfig for an unreadable CA
/// bundle): the listers' factories validate their configuration first, then call this.
Result<std::shared_ptr<HttpClient>> client_or_new(std::shared_ptr<HttpClient> client,
                                                  HttpClientOptions const& http);

}  // namespace presign::io::detail
