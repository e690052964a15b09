// Tokens of an impersonated service account (gcs_keyless.hpp, make_impersonated_token_provider):
// IAM Credentials generateAccessToken, called with the caller's token, as gcloud does for
// `storage ls --impersonate-service-account`. The call, its retries and refusals are
// gcs_iam.hpp's (signBlob's too).
//
// Cached and refreshed by the cache every refreshing flow shares (gcs_token_cache.hpp).
#include "presign/io/gcs_keyless.hpp"

#include "gcs_iam.hpp"
#include "gcs_token_cache.hpp"

#include <algorithm>
#include <utility>

namespace presign::io {
namespace {

using detail::wipe;
using std::chrono::system_clock;

class ImpersonatedTokenProvider final : public detail::CachedTokenProvider {
 public:
  ImpersonatedTokenProvider(ImpersonatedTokenConfig config, std::string url)
      : CachedTokenProvider(config),
        config_(std::move(config)),
        url_(std::move(url)),
        call_{"generateAccessToken", "impersonate", config_.email, url_, config_.base->describe()} {
    body_ = "{\"scope\":[\"" + config_.scope + "\"],\"lifetime\":\"" +
            std::to_string(config_.lifetime.count()) + "s\"}";
  }

  [[nodiscard]] std::string describe() const override {
    return "service account " + config_.email + " (impersonated with " + call_.who + ")";
  }

 private:
  detail::asio::awaitable<Result<detail::FreshToken>> fetch(HttpClient& client,
                                                            detail::FetchControl control,
                                                            system_clock::time_point now) override {
    detail::FetchControl const iam_control = retry_control(control);
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
          client, req, retry(), iam_control, call_, parse_generate_access_token_response);
      wipe(req.headers[0].second);
      bool const fresh =
          !got && got.error().http_status == 401 && round == 0 && config_.base->invalidate(*base);
      wipe(*base);
      if (fresh) continue;
      if (!got) co_return got.error();
      // Refresh ahead of expireTime (the cache's rule); a token already past it (a skewed
      // clock) lives zero seconds: used by this caller, stale for the next.
      auto const lifetime =
          std::max(std::chrono::duration_cast<std::chrono::seconds>(got->expire_time - now),
                   std::chrono::seconds{0});
      detail::FreshToken token{got->access_token, lifetime};
      wipe(got->access_token);
      co_return token;
    }
  }

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
  detail::IamCall call_;  // views into config_ and url_
  std::string body_;
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
