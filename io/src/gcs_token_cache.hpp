#pragma once
// What every refreshing GCS token flow shares (io/src; not installed): the cache, the refresh
// rule and the blocking edge of the service account's flow (gcs_tokens.cpp), the metadata
// server's and ADC user credentials' (gcs_keyless_tokens.cpp) and an impersonated account's
// (gcs_impersonated_tokens.cpp). Each flow keeps only its request, its refusals and how long
// its answer lives, in `fetch`.
//
// Contract of `CachedTokenProvider`:
// - `co_token` reads the clock once (`now`), answers the cached token while `now` is before its
//   refresh time, else wipes it, awaits `fetch(client, control, now)` and caches what it gives
//   until `now + lifetime - min(refresh_margin, lifetime / 2)`. `fetch`'s errors pass through
//   unchanged and leave the cache empty.
// - The cache (token and refresh time) is touched under one mutex only, never across a
//   co_await: two callers that find it stale at once both call `fetch`, and the later answer
//   wins. So `co_token` may run on any client's I/O thread (a listing's) at the same time as
//   `token()` on the provider's own, and `invalidate` from any thread.
// - `token()` runs `co_token` on a client of the provider's own, made on first use (under the
//   mutex) from the options' transport, and blocks until it ends; it must not be called on an
//   HttpClient's I/O thread.
// - A cached token is wiped when it goes stale, when `invalidate` names it, when it is
//   replaced and in the destructor. `fetch` hands its token over in a `FreshToken` and wipes
//   its own copies.

#include "gcs_tokens.hpp"
#include "page_fetch.hpp"

#include "presign/io/gcs_keyless.hpp"
#include "presign/io/gcs_lister.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace presign::io::detail {

/// A token `fetch` got, and how long it lives from the `now` that `fetch` was given (not
/// negative; zero: stale at once, used by this caller only).
struct FreshToken {
  std::string token;
  std::chrono::seconds lifetime{0};
};

/// An OAuth2 token response (RFC 6749 §5.1) as a `FreshToken`: `expires_in` (a negative one
/// as zero) from now; `got.access_token` is wiped.
FreshToken fresh_token(AccessTokenResponse& got);

class CachedTokenProvider : public AccessTokenProvider, public AsyncTokenSource {
 public:
  ~CachedTokenProvider() override;
  CachedTokenProvider(CachedTokenProvider const&) = delete;
  CachedTokenProvider& operator=(CachedTokenProvider const&) = delete;
  CachedTokenProvider(CachedTokenProvider&&) = delete;
  CachedTokenProvider& operator=(CachedTokenProvider&&) = delete;

  /// Outside a listing (no client at hand): `co_token` on the provider's own client.
  Result<std::string> token() final;
  asio::awaitable<Result<std::string>> co_token(HttpClient& client, FetchControl control) final;
  /// Drops `rejected` if it is the cached token; true: a fresh one can always be asked for.
  bool invalidate(std::string_view rejected) final;

 protected:
  /// `options.http` for `token()`'s own client (checked by the factory); `retry` and
  /// `retry_env` make `retry()`, `retry_env.sleep` is `retry_control`'s sleeper; an empty
  /// `clock` is the system clock.
  explicit CachedTokenProvider(TokenFlowOptions options);

  /// One fresh token, asked on `client` (the coroutine runs on `executor_of(client)`);
  /// `control` is the caller's (its cancel flag), `now` the clock reading its lifetime counts
  /// from. Never touches the cache.
  virtual asio::awaitable<Result<FreshToken>> fetch(HttpClient& client, FetchControl control,
                                                    std::chrono::system_clock::time_point now) = 0;

  /// The flow's retry policy (its attempt quota and clock).
  RetryPolicy& retry() noexcept { return retry_; }

  /// `control`'s cancel flag with the flow's own sleeper (tests' `RetryEnv::sleep`), for the
  /// waits between the flow's attempts.
  [[nodiscard]] FetchControl retry_control(FetchControl const& control) const {
    return FetchControl{control.cancelled, injected_sleep_};
  }

 private:
  HttpClientOptions http_;
  std::chrono::seconds refresh_margin_;
  std::function<std::chrono::system_clock::time_point()> clock_;
  std::function<void(std::chrono::milliseconds)> injected_sleep_;
  RetryPolicy retry_;
  std::mutex mutex_;
  std::string cached_;  // empty: none
  std::chrono::system_clock::time_point refresh_at_{};
  // For token() only; the last member, so the first joined of the base's. A derived flow's
  // members are gone by then: token() returns only after its coroutine has ended.
  std::unique_ptr<HttpClient> own_client_;
};

}  // namespace presign::io::detail
