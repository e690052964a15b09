// The token cache every refreshing GCS token flow shares (gcs_token_cache.hpp: the contract).
#include "gcs_token_cache.hpp"

#include <algorithm>
#include <utility>

namespace presign::io::detail {

using std::chrono::system_clock;

FreshToken fresh_token(AccessTokenResponse& got) {
  FreshToken fresh{got.access_token,
                   std::chrono::seconds(std::max<std::int64_t>(got.expires_in, 0))};
  wipe(got.access_token);
  return fresh;
}

CachedTokenProvider::CachedTokenProvider(TokenFlowOptions options)
    : http_(std::move(options.http)),
      refresh_margin_(options.refresh_margin),
      clock_(std::move(options.clock)),
      injected_sleep_(options.retry_env.sleep),
      retry_(options.retry, std::move(options.retry_env)) {}

CachedTokenProvider::~CachedTokenProvider() { wipe(cached_); }

Result<std::string> CachedTokenProvider::token() {
  HttpClient* client = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!own_client_) {
      auto made = HttpClient::create(http_);
      if (!made) return made.error();
      own_client_ = std::move(*made);
    }
    client = own_client_.get();
  }
  return block_on<std::string>(executor_of(*client),
                               [this, client] { return co_token(*client, FetchControl{}); });
}

asio::awaitable<Result<std::string>> CachedTokenProvider::co_token(HttpClient& client,
                                                                   FetchControl control) {
  auto const now = clock_ ? clock_() : system_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (!cached_.empty() && now < refresh_at_) co_return cached_;
    wipe(cached_);
  }
  Result<FreshToken> fresh = co_await fetch(client, std::move(control), now);
  if (!fresh) co_return fresh.error();
  // Refresh ahead of expiry: by the margin, but never later than half-way through the
  // lifetime (a 2-second test token is renewed after 1 s, not never).
  auto const lifetime = fresh->lifetime;
  auto const margin = std::min<std::chrono::seconds>(refresh_margin_, lifetime / 2);
  std::string token = fresh->token;
  wipe(fresh->token);
  std::lock_guard lock(mutex_);
  cached_ = token;
  refresh_at_ = now + lifetime - margin;
  co_return token;
}

bool CachedTokenProvider::invalidate(std::string_view rejected) {
  std::lock_guard lock(mutex_);
  if (cached_ == rejected) wipe(cached_);
  return true;
}

}  // namespace presign::io::detail
