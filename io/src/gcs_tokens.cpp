// GCS access-token providers (gcs_lister.hpp): a fixed token, and the OAuth2 service-account
// flow, whose token request is a coroutine on the listing's client (gcs_tokens.hpp).
//
// The service-account token is cached and refreshed `min(margin, lifetime / 2)` before it
// expires, by the cache every refreshing flow shares (gcs_token_cache.hpp).
#include "gcs_tokens.hpp"

#include "gcs_token_cache.hpp"

#include "presign/io/gcs_lister.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <string>
#include <utility>

namespace presign::io {

namespace detail {

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    auto const u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace detail

namespace {

namespace oauth = signers::gcs::oauth;
using detail::printable;
using detail::wipe;
using std::chrono::system_clock;

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

class FixedTokenProvider final : public AccessTokenProvider, public detail::AsyncTokenSource {
 public:
  FixedTokenProvider(std::string token, std::string origin)
      : token_(std::move(token)), origin_(std::move(origin)) {}
  ~FixedTokenProvider() override { wipe(token_); }
  FixedTokenProvider(FixedTokenProvider const&) = delete;
  FixedTokenProvider& operator=(FixedTokenProvider const&) = delete;

  Result<std::string> token() override { return token_; }
  detail::asio::awaitable<Result<std::string>> co_token(HttpClient&,
                                                        detail::FetchControl) override {
    co_return token_;
  }
  bool invalidate(std::string_view) override { return false; }
  [[nodiscard]] std::string describe() const override { return "the access token from " + origin_; }

 private:
  std::string token_;
  std::string origin_;
};

// The token endpoint's refusal: RFC 6749 §5.2 `{"error": "...", "error_description": "..."}`.
Error token_endpoint_error(HttpResponse const& resp, std::string_view token_uri,
                           std::string_view email) {
  Error e = error_from_response(resp, "POST", token_uri);
  std::string code;
  std::string description;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(resp.body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) == simdjson::SUCCESS) {
    std::string_view s;
    if (doc["error"].get_string().get(s) == simdjson::SUCCESS) code = printable(s, 64);
    // A description that quotes a JWT (an endpoint echoing the assertion back) is dropped:
    // an assertion is a bearer credential for an hour.
    if (doc["error_description"].get_string().get(s) == simdjson::SUCCESS &&
        s.find("eyJ") == std::string_view::npos) {
      description = printable(s, 200);
    }
  }
  if (!code.empty()) e.provider_code = code;
  std::string const where = describe_request("POST", token_uri);
  std::string const status = "HTTP " + std::to_string(resp.status) +
                             (code.empty() ? "" : " " + code) +
                             (description.empty() ? "" : ": " + description);
  if (resp.status == 400 || resp.status == 401 || resp.status == 403) {
    e.kind = ErrorKind::kAuth;
    std::string const why =
        code == "invalid_grant"    ? "the key was refused (wrong or deleted key, or a clock off by "
                                     "minutes)"
        : code == "invalid_client" ? "the client is unknown or disabled"
        : code == "unauthorized_client" ? "the account may not use this flow or scope"
                                        : "the token request was refused";
    e.detail = "the token endpoint refused service account " + std::string(email) + " (" + why +
               "); " + where + ": " + status;
    return e;
  }
  e.detail = "getting an access token for service account " + std::string(email) + ": " + where +
             ": " + status;
  return e;
}

class ServiceAccountTokenProvider final : public detail::CachedTokenProvider {
 public:
  explicit ServiceAccountTokenProvider(ServiceAccountTokenConfig config)
      : CachedTokenProvider(TokenFlowOptions{.http = config.http,
                                             .retry = config.retry,
                                             .retry_env = config.retry_env,
                                             .refresh_margin = config.refresh_margin,
                                             .clock = config.clock}),
        config_(std::move(config)) {}

  [[nodiscard]] std::string describe() const override {
    return "service account " + config_.info.client_email;
  }

 private:
  detail::asio::awaitable<Result<detail::FreshToken>> fetch(HttpClient& client,
                                                            detail::FetchControl control,
                                                            system_clock::time_point now) override {
    // The page's cancel flag, the token's own sleeper (tests) and retry policy.
    detail::FetchControl const token_control = retry_control(control);
    Result<AccessTokenResponse> got = co_await request_token(client, token_control, now);
    if (!got) co_return got.error();
    co_return detail::fresh_token(*got);
  }

  detail::asio::awaitable<Result<AccessTokenResponse>> request_token(
      HttpClient& client, detail::FetchControl const& control, system_clock::time_point now) {
    auto assertion = oauth::make_assertion(
        config_.key, config_.info, std::chrono::floor<std::chrono::seconds>(now), config_.scope);
    if (!assertion) co_return assertion.error();
    HttpRequest req;
    req.method = "POST";
    req.url = config_.info.token_uri;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = oauth::token_request_body(*assertion);
    wipe(*assertion);
    Result<AccessTokenResponse> got = co_await detail::retry_async<AccessTokenResponse>(
        retry(), "token request", control,
        [&](AttemptContext& ctx) { return attempt(ctx, client, control, req); });
    wipe(req.body);
    if (!got) {
      Error e = got.error();
      if (e.kind == ErrorKind::kNetwork || e.kind == ErrorKind::kProtocol) {
        if (e.detail.find("service account") == std::string::npos) {
          e.detail = "getting an access token for service account " + config_.info.client_email +
                     ": " + e.detail;
        }
      }
      co_return e;
    }
    co_return got;
  }

  detail::asio::awaitable<Result<AccessTokenResponse>> attempt(AttemptContext& ctx,
                                                               HttpClient& client,
                                                               detail::FetchControl const& control,
                                                               HttpRequest const& req) {
    if (co_await detail::is_cancelled(control)) co_return detail::cancelled_error();
    std::string const& email = config_.info.client_email;
    // A copy per attempt: sending consumes its request.
    Result<HttpResponse> resp = co_await detail::co_send(client, req);
    if (co_await detail::is_cancelled(control)) co_return detail::cancelled_error();
    if (!resp) co_return resp.error();
    if (resp->status < 200 || resp->status >= 300) {
      ctx.retry_after = retry_hint(*resp, retry().env().wall_now());
      co_return token_endpoint_error(*resp, req.url, email);
    }
    auto parsed = parse_token_response(resp->body);
    wipe(resp->body);
    if (!parsed) {
      Error e = parsed.error();
      e.provider_code = std::string(transport_code::kMalformedResponse);  // retried
      e.http_status = resp->status;
      e.detail = describe_request("POST", req.url) + ": HTTP " + std::to_string(resp->status) +
                 " with an unusable token response for service account " + email + ": " + e.detail;
      co_return e;
    }
    co_return parsed;
  }

  ServiceAccountTokenConfig config_;
};

}  // namespace

Result<std::unique_ptr<AccessTokenProvider>> make_fixed_token_provider(std::string token,
                                                                       std::string origin) {
  if (token.empty()) return usage("the access token from " + origin + " is empty");
  if (!is_header_safe_token(token)) {
    wipe(token);
    return usage("the access token from " + origin +
                 " has characters an HTTP header cannot carry (spaces, controls or non-ASCII)");
  }
  return std::unique_ptr<AccessTokenProvider>(
      new FixedTokenProvider(std::move(token), std::move(origin)));
}

Result<std::unique_ptr<AccessTokenProvider>> make_service_account_token_provider(
    ServiceAccountTokenConfig config) {
  auto parsed = parse_url(config.info.token_uri);
  if (!parsed) {
    return make_error(ErrorKind::kConfig, "the token_uri of service account " +
                                              config.info.client_email +
                                              " is not a usable URL: " + parsed.error().detail);
  }
  if (config.key.client_email() != config.info.client_email) {
    return make_error(ErrorKind::kConfig, "the key belongs to " + config.key.client_email() +
                                              ", not to " + config.info.client_email);
  }
  if (config.retry.max_attempts < 1) config.retry.max_attempts = 1;
  // What a client of these options would refuse, refused now; the client itself is the
  // listing's (or, for token() alone, made on first use).
  if (auto ok = HttpClient::check_options(config.http); !ok) return ok.error();
  return std::unique_ptr<AccessTokenProvider>(new ServiceAccountTokenProvider(std::move(config)));
}

}  // namespace presign::io
