// The token flows of keyless GCS (gcs_keyless.hpp): the metadata server and ADC user
// credentials' refresh-token grant, both `AccessTokenProvider`s with the coroutine of
// gcs_tokens.hpp, so a listing fetches them on its own client (as the service-account flow).
//
// Both are cached and refreshed by the cache every refreshing flow shares (gcs_token_cache.hpp).
#include "presign/io/gcs_keyless.hpp"

#include "gcs_token_cache.hpp"
#include "gcs_tokens.hpp"

#include <optional>
#include <utility>

namespace presign::io {
namespace {

using detail::printable;
using detail::wipe;
using std::chrono::system_clock;

constexpr std::string_view kMetadataPath = "/computeMetadata/v1/instance/service-accounts/default/";

// The RFC 3986 unreserved bytes kept, everything else %XX (form values of the token request).
void append_form_value(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : v) {
    auto const u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
}

// What the metadata and user flows share besides the cache (gcs_token_cache.hpp): one
// request, retried, answered with an OAuth2 token response.
class TokenRequestProvider : public detail::CachedTokenProvider {
 public:
  explicit TokenRequestProvider(TokenFlowOptions options)
      : CachedTokenProvider(std::move(options)) {}

 protected:
  // One token request, sent anew by each attempt.
  [[nodiscard]] virtual HttpRequest request() const = 0;
  // A non-2xx answer (or a 2xx from something that is not the expected server) as an error.
  [[nodiscard]] virtual Error refusal(HttpResponse const& resp, std::string_view url) const = 0;
  // A 2xx answer the flow refuses before parsing (a metadata server without its header).
  [[nodiscard]] virtual std::optional<Error> check_answer(HttpResponse const&,
                                                          std::string_view) const {
    return std::nullopt;
  }

 private:
  detail::asio::awaitable<Result<detail::FreshToken>> fetch(HttpClient& client,
                                                            detail::FetchControl control,
                                                            system_clock::time_point) override {
    detail::FetchControl const token_control = retry_control(control);
    HttpRequest req = request();
    Result<AccessTokenResponse> got = co_await detail::retry_async<AccessTokenResponse>(
        retry(), "token request", token_control,
        [&](AttemptContext& ctx) { return attempt(ctx, client, token_control, req); });
    wipe(req.body);
    if (!got) co_return got.error();
    co_return detail::fresh_token(*got);
  }

  detail::asio::awaitable<Result<AccessTokenResponse>> attempt(AttemptContext& ctx,
                                                               HttpClient& client,
                                                               detail::FetchControl const& control,
                                                               HttpRequest const& req) {
    if (co_await detail::is_cancelled(control)) co_return detail::cancelled_error();
    Result<HttpResponse> resp = co_await detail::co_send(client, req);
    if (co_await detail::is_cancelled(control)) co_return detail::cancelled_error();
    if (!resp) {
      Error e = resp.error();
      e.detail = "getting an access token from " + describe() + ": " + e.detail;
      co_return e;
    }
    if (resp->status < 200 || resp->status >= 300) {
      ctx.retry_after = retry_hint(*resp, retry().env().wall_now());
      co_return refusal(*resp, req.url);
    }
    if (auto bad = check_answer(*resp, req.url)) co_return std::move(*bad);
    auto parsed = parse_token_response(resp->body);
    wipe(resp->body);
    if (!parsed) {
      Error e = parsed.error();
      e.provider_code = std::string(transport_code::kMalformedResponse);  // retried
      e.http_status = resp->status;
      e.detail = describe_request(req.method, req.url) + ": HTTP " + std::to_string(resp->status) +
                 " with an unusable token response (" + describe() + "): " + e.detail;
      co_return e;
    }
    co_return parsed;
  }
};

// ---- The metadata server -------------------------------------------------------------------

class MetadataTokenProvider final : public TokenRequestProvider {
 public:
  MetadataTokenProvider(MetadataTokenConfig const& config, std::string url)
      : TokenRequestProvider(config), host_(config.host), url_(std::move(url)) {}

  [[nodiscard]] std::string describe() const override { return "the metadata server at " + host_; }

 protected:
  [[nodiscard]] HttpRequest request() const override {
    HttpRequest req;
    req.url = url_;
    req.headers = {{"Metadata-Flavor", "Google"}, {"Accept", "application/json"}};
    return req;
  }

  [[nodiscard]] Error refusal(HttpResponse const& resp, std::string_view url) const override {
    Error e = error_from_response(resp, "GET", url);
    std::string const where = describe_request("GET", url);
    if (resp.status == 401 || resp.status == 403 || resp.status == 404) {
      // 404: no service account attached to the instance (or another path layout).
      e.kind = ErrorKind::kAuth;
      e.detail = "the metadata server at " + host_ + " gave no access token (" + where + ": HTTP " +
                 std::to_string(resp.status) +
                 (resp.status == 404 ? "; is a service account attached to this instance?)" : ")");
    } else {
      e.detail = "getting an access token from the metadata server at " + host_ + ": " + where +
                 ": HTTP " + std::to_string(resp.status);
    }
    return e;
  }

  [[nodiscard]] std::optional<Error> check_answer(HttpResponse const& resp,
                                                  std::string_view url) const override {
    if (resp.header("Metadata-Flavor") == "Google") return std::nullopt;
    // Something answers at that address but it is not a metadata server (a captive portal,
    // a proxy): not retried, and its body is not read as a token.
    return make_error(ErrorKind::kConfig, "the server at " + host_ + " (" +
                                              describe_request("GET", url) +
                                              ") is not a GCE metadata server: its answer lacks "
                                              "\"Metadata-Flavor: Google\" (check " +
                                              kEnvGceMetadataHost + ")");
  }

 private:
  std::string host_;
  std::string url_;
};

// ---- ADC user credentials ---------------------------------------------------------------------

class UserTokenProvider final : public TokenRequestProvider {
 public:
  explicit UserTokenProvider(UserTokenConfig config)
      : TokenRequestProvider(config), config_(std::move(config)) {}
  ~UserTokenProvider() override {
    wipe(config_.client_secret);
    wipe(config_.refresh_token);
  }
  UserTokenProvider(UserTokenProvider const&) = delete;
  UserTokenProvider& operator=(UserTokenProvider const&) = delete;

  [[nodiscard]] std::string describe() const override {
    return "the user credentials of " + config_.origin;
  }

 protected:
  [[nodiscard]] HttpRequest request() const override {
    HttpRequest req;
    req.method = "POST";
    req.url = config_.token_uri;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = "grant_type=refresh_token&client_id=";
    append_form_value(req.body, config_.client_id);
    req.body += "&client_secret=";
    append_form_value(req.body, config_.client_secret);
    req.body += "&refresh_token=";
    append_form_value(req.body, config_.refresh_token);
    return req;
  }

  [[nodiscard]] Error refusal(HttpResponse const& resp, std::string_view url) const override {
    Error e = error_from_response(resp, "POST", url);
    std::string code;
    if (auto const at = resp.body.find("\"error\""); at != std::string::npos) {
      // `{"error": "invalid_grant", ...}` (RFC 6749 §5.2): the code alone, printable and short.
      auto const q1 = resp.body.find('"', resp.body.find(':', at) + 1);
      auto const q2 = q1 == std::string::npos ? q1 : resp.body.find('"', q1 + 1);
      if (q2 != std::string::npos) code = printable(resp.body.substr(q1 + 1, q2 - q1 - 1), 64);
    }
    if (!code.empty()) e.provider_code = code;
    std::string const status =
        "HTTP " + std::to_string(resp.status) + (code.empty() ? "" : " " + code);
    if (resp.status == 400 || resp.status == 401 || resp.status == 403) {
      e.kind = ErrorKind::kAuth;
      e.detail = "the token endpoint refused " + describe() + " (" + describe_request("POST", url) +
                 ": " + status + "); run `gcloud auth application-default login` again";
      return e;
    }
    e.detail = "getting an access token for " + describe() + ": " + describe_request("POST", url) +
               ": " + status;
    return e;
  }

 private:
  UserTokenConfig config_;
};

}  // namespace

Result<std::string> metadata_url(std::string_view host, std::string_view leaf) {
  auto bad = [&] {
    return make_error(ErrorKind::kConfig, "the metadata server address '" + printable(host, 100) +
                                              "' (" + kEnvGceMetadataHost +
                                              ") is not a usable host[:port]");
  };
  if (host.empty() || host.find_first_of("/?#@ \t\r\n") != std::string_view::npos) return bad();
  std::string url = "http://" + std::string(host) + std::string(kMetadataPath) + std::string(leaf);
  if (!parse_url(url)) return bad();
  return url;
}

Result<std::unique_ptr<AccessTokenProvider>> make_metadata_token_provider(
    MetadataTokenConfig config) {
  auto url = metadata_url(config.host, "token");
  if (!url) return url.error();
  if (config.retry.max_attempts < 1) config.retry.max_attempts = 1;
  if (auto ok = HttpClient::check_options(config.http); !ok) return ok.error();
  return std::unique_ptr<AccessTokenProvider>(new MetadataTokenProvider(config, std::move(*url)));
}

Result<std::unique_ptr<AccessTokenProvider>> make_user_token_provider(UserTokenConfig config) {
  if (config.client_id.empty() || config.client_secret.empty() || config.refresh_token.empty()) {
    return make_error(ErrorKind::kConfig, "the user credentials of " + config.origin +
                                              " lack client_id, client_secret or refresh_token");
  }
  if (auto parsed = parse_url(config.token_uri); !parsed) {
    return make_error(ErrorKind::kConfig, "the token_uri of " + config.origin +
                                              " is not a usable URL: " + parsed.error().detail);
  }
  if (config.retry.max_attempts < 1) config.retry.max_attempts = 1;
  if (auto ok = HttpClient::check_options(config.http); !ok) return ok.error();
  return std::unique_ptr<AccessTokenProvider>(new UserTokenProvider(std::move(config)));
}

Result<std::string> fetch_metadata_email(MetadataTokenConfig const& config) {
  auto url = metadata_url(config.host, "email");
  if (!url) return url.error();
  auto client = HttpClient::create(config.http);
  if (!client) return client.error();
  RetryOptions options = config.retry;
  if (options.max_attempts < 1) options.max_attempts = 1;
  RetryPolicy policy(options, config.retry_env);
  std::string const where = "the metadata server at " + config.host;
  return policy.run(
      [&](AttemptContext& ctx) -> Result<std::string> {
        HttpRequest req;
        req.url = *url;
        req.headers = {{"Metadata-Flavor", "Google"}};
        auto resp = (*client)->send(std::move(req));
        if (!resp) {
          Error e = resp.error();
          e.detail = "asking " + where + " for the default service account: " + e.detail;
          return e;
        }
        if (resp->status != 200) {
          ctx.retry_after = retry_hint(*resp, policy.env().wall_now());
          Error e = error_from_response(*resp, "GET", *url);
          if (resp->status == 401 || resp->status == 403 || resp->status == 404) {
            e.kind = ErrorKind::kAuth;
          }
          e.detail = where + " named no default service account (" + describe_request("GET", *url) +
                     ": HTTP " + std::to_string(resp->status) + ")";
          return e;
        }
        if (resp->header("Metadata-Flavor") != "Google") {
          return make_error(ErrorKind::kConfig, "the server at " + config.host +
                                                    " is not a GCE metadata server: its answer "
                                                    "lacks \"Metadata-Flavor: Google\" (check " +
                                                    kEnvGceMetadataHost + ")");
        }
        auto email = parse_metadata_email(resp->body);
        if (!email) {
          Error e = email.error();
          e.provider_code = std::string(transport_code::kMalformedResponse);
          e.detail = where + ": " + e.detail;
          return e;
        }
        return email;
      },
      "metadata e-mail request");
}

}  // namespace presign::io
