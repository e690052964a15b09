// The GCS objects.list page fetcher and its access-token providers (see gcs_lister.hpp for
// the contract).
//
// One fetch = one RetryPolicy::run over attempts of: token → send → (401: invalidate the
// token and send once more with a fresh one, within the same attempt: a refresh is not a
// backoff) → status check → parse. The parse is inside the attempt for the reason s3_lister.cpp
// gives: a half page that parses badly is transient and retried, never a short page.
//
// A token failure (the token endpoint refused the key, or its own retries ran out) ends the
// fetch at once: the provider already retried what could be retried, and retrying it again
// under the page's policy would multiply the attempts. The attempt therefore records it aside
// and hands the policy a fatal marker.
#include "presign/io/gcs_lister.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include "fetch_cancel.hpp"
#include "presign/io/list_page.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <algorithm>
#include <mutex>
#include <optional>

namespace presign::io {
namespace {

namespace oauth = signers::gcs::oauth;
using std::chrono::system_clock;

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

// Bytes that may travel in `Authorization: Bearer …`: visible ASCII (RFC 6750 b64token is
// stricter; real tokens also carry '.', '-', '_', '~', '+', '/', '=').
// Printable ASCII of a service's free text, cut to `max` bytes (nothing else reaches a message).
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

// `scheme://authority` of an endpoint (no path), as the S3 lister takes it.
Result<std::string> normalise_endpoint(std::string const& endpoint) {
  auto ep = parse_endpoint(endpoint, EndpointRules{});
  if (!ep) return ep.error();
  return ep->scheme + "://" + ascii_to_lower(ep->authority);
}

// ---- Access tokens ------------------------------------------------------------------------

class FixedTokenProvider final : public AccessTokenProvider {
 public:
  FixedTokenProvider(std::string token, std::string origin)
      : token_(std::move(token)), origin_(std::move(origin)) {}
  ~FixedTokenProvider() override { wipe(token_); }
  FixedTokenProvider(FixedTokenProvider const&) = delete;
  FixedTokenProvider& operator=(FixedTokenProvider const&) = delete;

  Result<std::string> token() override { return token_; }
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

class ServiceAccountTokenProvider final : public AccessTokenProvider {
 public:
  ServiceAccountTokenProvider(ServiceAccountTokenConfig config, std::unique_ptr<HttpClient> client)
      : config_(std::move(config)),
        client_(std::move(client)),
        retry_(config_.retry, complete(std::move(config_.retry_env))) {}
  ~ServiceAccountTokenProvider() override { wipe(cached_); }
  ServiceAccountTokenProvider(ServiceAccountTokenProvider const&) = delete;
  ServiceAccountTokenProvider& operator=(ServiceAccountTokenProvider const&) = delete;

  Result<std::string> token() override {
    std::lock_guard lock(mutex_);
    auto const now = now_();
    if (!cached_.empty() && now < refresh_at_) return cached_;
    wipe(cached_);
    if (auto r = fetch_locked(now); !r) return r.error();
    return cached_;
  }

  bool invalidate(std::string_view rejected) override {
    std::lock_guard lock(mutex_);
    if (cached_ == rejected) wipe(cached_);
    return true;
  }

  [[nodiscard]] std::string describe() const override {
    return "service account " + config_.info.client_email;
  }

 private:
  static RetryEnv complete(RetryEnv env) {
    RetryEnv const sys = RetryEnv::system();
    if (!env.now) env.now = sys.now;
    if (!env.wall_now) env.wall_now = sys.wall_now;
    if (!env.sleep) env.sleep = sys.sleep;
    if (!env.uniform01) env.uniform01 = sys.uniform01;
    return env;
  }

  system_clock::time_point now_() const {
    return config_.clock ? config_.clock() : system_clock::now();
  }

  Result<void> fetch_locked(system_clock::time_point now) {
    auto assertion = oauth::make_assertion(
        config_.key, config_.info, std::chrono::floor<std::chrono::seconds>(now), config_.scope);
    if (!assertion) return assertion.error();
    HttpRequest req;
    req.method = "POST";
    req.url = config_.info.token_uri;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = oauth::token_request_body(*assertion);
    wipe(*assertion);
    std::string const& email = config_.info.client_email;
    auto got = retry_.run(
        [&](AttemptContext& ctx) -> Result<AccessTokenResponse> {
          auto resp = client_->send(req);  // a copy per attempt: send consumes its request
          if (!resp) return resp.error();
          if (resp->status < 200 || resp->status >= 300) {
            ctx.retry_after = retry_hint(*resp, retry_.env().wall_now());
            return token_endpoint_error(*resp, req.url, email);
          }
          auto parsed = parse_token_response(resp->body);
          wipe(resp->body);
          if (!parsed) {
            Error e = parsed.error();
            e.provider_code = std::string(transport_code::kMalformedResponse);  // retried
            e.http_status = resp->status;
            e.detail =
                describe_request("POST", req.url) + ": HTTP " + std::to_string(resp->status) +
                " with an unusable token response for service account " + email + ": " + e.detail;
            return e;
          }
          return parsed;
        },
        "token request");
    wipe(req.body);
    if (!got) {
      Error e = got.error();
      if (e.kind == ErrorKind::kNetwork || e.kind == ErrorKind::kProtocol) {
        if (e.detail.find("service account") == std::string::npos) {
          e.detail = "getting an access token for service account " + email + ": " + e.detail;
        }
      }
      return e;
    }
    cached_ = std::move(got->access_token);
    // Refresh ahead of expiry: by the margin, but never later than half-way through the
    // lifetime (a 2-second test token is renewed after 1 s, not never).
    auto const lifetime = std::chrono::seconds(std::max<std::int64_t>(got->expires_in, 0));
    auto const margin = std::min<std::chrono::seconds>(config_.refresh_margin, lifetime / 2);
    refresh_at_ = now + lifetime - margin;
    return {};
  }

  ServiceAccountTokenConfig config_;
  std::unique_ptr<HttpClient> client_;
  RetryPolicy retry_;
  std::mutex mutex_;
  std::string cached_;  // empty: none
  system_clock::time_point refresh_at_{};
};

// ---- The page fetcher -----------------------------------------------------------------------

class GcsPageFetcher final : public PageFetcher {
 public:
  GcsPageFetcher(GcsListerConfig config, std::string base_url, std::string endpoint,
                 std::unique_ptr<HttpClient> client)
      : config_(std::move(config)),
        base_url_(std::move(base_url)),
        endpoint_(std::move(endpoint)),
        client_(std::move(client)),
        retry_(config_.retry, cancel_.wrap(config_.retry_env)) {}

  Result<void> fetch(ListRequest const& req, ListPage& page, std::string& key_bytes) override {
    page.clear();
    std::size_t const entry = key_bytes.size();
    std::string const url = base_url_ + "?" + gcs_list_query(req);
    std::optional<Error> token_failure;
    bool refreshed = false;  // once per fetch

    auto result = retry_.run(
        [&](AttemptContext& ctx) -> Result<void> {
          if (cancel_.cancelled()) return detail::FetchCancel::cancelled_error();
          for (;;) {
            auto token = config_.tokens->token();
            if (!token) {
              token_failure = token.error();
              return make_error(ErrorKind::kAuth, "no access token");  // fatal marker, see above
            }
            HttpRequest http;
            http.method = "GET";
            http.url = url;
            http.headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
            auto resp = client_->send(std::move(http));
            if (!resp) {
              wipe(*token);
              return resp.error();
            }
            if (resp->status == 401 && !refreshed) {
              refreshed = true;
              bool const fresh = config_.tokens->invalidate(*token);
              wipe(*token);
              if (fresh) continue;  // once, at once: a new token is not a backoff matter
            }
            wipe(*token);
            if (resp->status < 200 || resp->status >= 300) {
              ctx.retry_after = retry_hint(*resp, retry_.env().wall_now());
              return gcs_list_error(*resp, url, config_, config_.tokens->describe());
            }
            auto parsed = parser_.parse_gcs(resp->body, page, key_bytes);
            if (!parsed) {
              return detail::malformed_page_error(parsed.error(), resp->status, url,
                                                  "objects.list");
            }
            return {};
          }
        },
        page_label(req));
    if (!result || token_failure) {
      key_bytes.resize(entry);
      page.clear();
      if (token_failure) return *token_failure;
      return result.error();
    }
    return {};
  }

  [[nodiscard]] std::string describe() const override {
    std::string d = "gs://" + config_.bucket;
    if (!config_.prefix_for_messages.empty()) d += "/" + config_.prefix_for_messages;
    if (!config_.endpoint.empty()) d += " at " + endpoint_;
    return d;
  }

  void cancel() noexcept override { cancel_.cancel(); }

 private:
  GcsListerConfig config_;
  std::string base_url_;
  std::string endpoint_;
  std::unique_ptr<HttpClient> client_;
  ListPageParser parser_;
  detail::FetchCancel cancel_;
  RetryPolicy retry_;  // after cancel_: its sleeper refers to it
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
  auto client = HttpClient::create(config.http);
  if (!client) return client.error();
  return std::unique_ptr<AccessTokenProvider>(
      new ServiceAccountTokenProvider(std::move(config), std::move(*client)));
}

Result<std::string> gcs_list_base_url(GcsListerConfig const& c) {
  if (c.bucket.empty()) return usage("the bucket name is empty");
  if (!signers::gcs::is_valid_bucket_name(c.bucket)) {
    return usage("'" + c.bucket + "' is not a valid Cloud Storage bucket name");
  }
  std::string base = kGcsJsonApiEndpoint;
  if (!c.endpoint.empty()) {
    auto ep = normalise_endpoint(c.endpoint);
    if (!ep) return ep.error();
    base = std::move(*ep);
  }
  base += "/storage/v1/b/";
  signers::append_uri_encoded(base, c.bucket, false);
  base += "/o";
  auto parsed = parse_url(base);
  if (!parsed)
    return usage("endpoint '" + c.endpoint + "' is not a valid URL: " + parsed.error().detail);
  return base;
}

std::string gcs_list_query(ListRequest const& req) {
  std::string q = "fields=";
  signers::append_uri_encoded(q, kGcsListFields, false);
  std::uint32_t const n =
      std::clamp<std::uint32_t>(req.page_size == 0 ? 1000 : req.page_size, 1, 5000);
  q += "&maxResults=" + std::to_string(n);
  if (!req.token.empty()) {
    q += "&pageToken=";
    signers::append_uri_encoded(q, req.token, false);
  }
  if (!req.prefix.empty()) {
    q += "&prefix=";
    signers::append_uri_encoded(q, req.prefix, false);
  }
  return q;
}

Error gcs_list_error(HttpResponse const& response, std::string_view url,
                     GcsListerConfig const& config, std::string_view who) {
  Error e = error_from_response(response, "GET", url);
  ListPageParser parser;
  std::string message;
  if (auto pe = parser.parse_gcs_error(response.body); pe) {
    if (!pe->code.empty()) e.provider_code = pe->code;
    message = printable(pe->message, 200);
  }
  std::string const what = describe_request("GET", url) + ": HTTP " +
                           std::to_string(response.status) +
                           (e.provider_code.empty() ? "" : " " + printable(e.provider_code, 64)) +
                           (message.empty() ? "" : ": " + message);
  std::string const bucket = "bucket '" + config.bucket + "'";
  if (response.status == 401 || response.status == 403) {
    e.kind = ErrorKind::kAuth;
    std::string const why = response.status == 401
                                ? "the access token is invalid or has expired"
                                : "permission denied: the account may not list " + bucket;
    e.detail = "Cloud Storage refused " + std::string(who) + " (" + why + "); " + what;
    return e;
  }
  if (response.status == 404) {
    e.kind = ErrorKind::kConfig;
    auto ep = config.endpoint.empty() ? Result<std::string>(std::string(kGcsJsonApiEndpoint))
                                      : normalise_endpoint(config.endpoint);
    e.detail = bucket + " does not exist at " + (ep ? *ep : std::string("the endpoint")) + " (" +
               what + ")";
    return e;
  }
  e.detail = what;
  return e;
}

Result<std::unique_ptr<PageFetcher>> make_gcs_page_fetcher(GcsListerConfig config) {
  auto base = gcs_list_base_url(config);
  if (!base) return base.error();
  if (!config.tokens) {
    return make_error(ErrorKind::kConfig, "listing gs://" + config.bucket +
                                              " needs an access token or a service-account key");
  }
  if (config.retry.max_attempts < 1) {
    return usage("the retry attempts must be at least 1, not " +
                 std::to_string(config.retry.max_attempts));
  }
  std::string endpoint = kGcsJsonApiEndpoint;
  if (!config.endpoint.empty()) endpoint = *normalise_endpoint(config.endpoint);
  auto client = HttpClient::create(config.http);
  if (!client) return client.error();
  return std::unique_ptr<PageFetcher>(new GcsPageFetcher(std::move(config), std::move(*base),
                                                         std::move(endpoint), std::move(*client)));
}

}  // namespace presign::io
