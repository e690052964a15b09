// Tokens of an impersonated service account (gcs_keyless.hpp, make_impersonated_token_provider):
// IAM Credentials generateAccessToken, called with the caller's token, as gcloud does for
// `storage ls --impersonate-service-account`. The call, its retries and refusals are
// gcs_iam.hpp's (signBlob's too).
//
// The cache is touched under the mutex only, never across a co_await: two callers that find
// it stale at once may both ask, and the later answer wins (as the other token flows).
#include "presign/io/gcs_keyless.hpp"

#include "gcs_iam.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

namespace presign::io {
namespace {

using detail::wipe;
using std::chrono::system_clock;

class ImpersonatedTokenProvider final : public AccessTokenProvider,
                                        public detail::AsyncTokenSource {
 public:
  ImpersonatedTokenProvider(ImpersonatedTokenConfig config, std::string url)
      : config_(std::move(config)),
        url_(std::move(url)),
        injected_sleep_(config_.retry_env.sleep),
        retry_(config_.retry, config_.retry_env),
        call_{"generateAccessToken", "impersonate", config_.email, url_, config_.base->describe()} {
    body_ = "{\"scope\":[\"" + config_.scope + "\"],\"lifetime\":\"" +
            std::to_string(config_.lifetime.count()) + "s\"}";
  }
  ~ImpersonatedTokenProvider() override { wipe(cached_); }
  ImpersonatedTokenProvider(ImpersonatedTokenProvider const&) = delete;
  ImpersonatedTokenProvider& operator=(ImpersonatedTokenProvider const&) = delete;

  Result<std::string> token() override {
    HttpClient* client = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (!own_client_) {
        auto made = HttpClient::create(config_.http);
        if (!made) return made.error();
        own_client_ = std::move(*made);
      }
      client = own_client_.get();
    }
    return detail::block_on<std::string>(detail::executor_of(*client), [this, client] {
      return co_token(*client, detail::FetchControl{});
    });
  }

  detail::asio::awaitable<Result<std::string>> co_token(HttpClient& client,
                                                        detail::FetchControl control) override {
    auto const now = config_.clock ? config_.clock() : system_clock::now();
    {
      std::lock_guard lock(mutex_);
      if (!cached_.empty() && now < refresh_at_) co_return cached_;
      wipe(cached_);
    }
    detail::FetchControl const iam_control{control.cancelled, injected_sleep_};
    // A 401 of IAM refuses the caller's token: once, a fresh one is asked for.
    for (int round = 0;; ++round) {
      Result<std::string> base = co_await base_token(client, control);
      if (!base) co_return base.error();
      HttpRequest req;
      req.method = "POST";
      req.url = url_;
      req.headers = {{"Authorization", "Bearer " + *base},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"}};
      req.body = body_;
      Result<GeneratedAccessToken> got = co_await detail::co_iam_call<GeneratedAccessToken>(
          client, req, retry_, iam_control, call_, parse_generate_access_token_response);
      wipe(req.headers[0].second);
      bool const fresh =
          !got && got.error().http_status == 401 && round == 0 && config_.base->invalidate(*base);
      wipe(*base);
      if (fresh) continue;
      if (!got) co_return got.error();
      // Refresh ahead of expireTime, never later than half-way through the lifetime; a token
      // already past it (a skewed clock) is used once and not cached.
      auto const lifetime =
          std::max(std::chrono::duration_cast<std::chrono::seconds>(got->expire_time - now),
                   std::chrono::seconds{0});
      auto const margin = std::min<std::chrono::seconds>(config_.refresh_margin, lifetime / 2);
      std::string token = got->access_token;
      wipe(got->access_token);
      std::lock_guard lock(mutex_);
      cached_ = token;
      refresh_at_ = now + lifetime - margin;
      co_return token;
    }
  }

  bool invalidate(std::string_view rejected) override {
    std::lock_guard lock(mutex_);
    if (cached_ == rejected) wipe(cached_);
    return true;
  }

  [[nodiscard]] std::string describe() const override {
    return "service account " + config_.email + " (impersonated with " + call_.who + ")";
  }

 private:
  // The caller's token: awaited on this client when its provider can (gcs_tokens.hpp), else
  // its own blocking call (a provider from elsewhere).
  detail::asio::awaitable<Result<std::string>> base_token(HttpClient& client,
                                                          detail::FetchControl control) {
    if (auto* async = dynamic_cast<detail::AsyncTokenSource*>(config_.base.get())) {
      co_return co_await async->co_token(client, std::move(control));
    }
    co_return config_.base->token();
  }

  ImpersonatedTokenConfig config_;
  std::string url_;
  std::function<void(std::chrono::milliseconds)> injected_sleep_;
  RetryPolicy retry_;
  detail::IamCall call_;  // views into config_ and url_
  std::string body_;
  std::mutex mutex_;
  std::string cached_;  // empty: none
  system_clock::time_point refresh_at_{};
  std::unique_ptr<HttpClient> own_client_;  // for token() only; last: joined first
};

}  // namespace

Result<std::string> generate_access_token_url(std::string_view base, std::string_view email) {
  return detail::iam_url(base, email, "generateAccessToken");
}

Result<std::unique_ptr<AccessTokenProvider>> make_impersonated_token_provider(
    ImpersonatedTokenConfig config) {
  if (!config.base) {
    return make_error(ErrorKind::kInternal, "generateAccessToken without the caller's tokens");
  }
  auto url = generate_access_token_url(config.endpoint, config.email);
  if (!url) return url.error();
  bool const plain_scope =
      !config.scope.empty() && std::all_of(config.scope.begin(), config.scope.end(), [](char c) {
        return c > ' ' && c < 127 && c != '"' && c != '\\';
      });
  if (!plain_scope || config.lifetime.count() < 1 || config.lifetime.count() > 43200) {
    return make_error(ErrorKind::kInternal, "generateAccessToken: a bad scope or lifetime");
  }
  if (config.retry.max_attempts < 1) config.retry.max_attempts = 1;
  if (auto ok = HttpClient::check_options(config.http); !ok) return ok.error();
  return std::unique_ptr<AccessTokenProvider>(
      new ImpersonatedTokenProvider(std::move(config), std::move(*url)));
}

}  // namespace presign::io
