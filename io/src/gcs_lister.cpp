// The GCS objects.list strategy of the one page fetcher (see gcs_lister.hpp for the contract;
// the token providers are in gcs_tokens.cpp).
//
// Each attempt: token (awaited on the listing's client, no thread of its own) → send → (401:
// invalidate the token and send once more with a fresh one, within the same attempt, once per
// fetch: a refresh is not a backoff) → status check → parse, the loop being page_fetch.cpp's.
//
// A token failure (the token endpoint refused the key, or its own retries ran out) ends the
// fetch at once: the provider already retried what could be retried, and retrying it again
// under the page's policy would multiply the attempts (PageStrategy::request).
#include "presign/io/gcs_lister.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include "gcs_tokens.hpp"
#include "page_fetch.hpp"
#include "page_fetchers.hpp"
#include "presign/io/list_page.hpp"
#include "presign/signers/uri.hpp"

#include <algorithm>

namespace presign::io {
namespace {

using detail::printable;
using detail::wipe;

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

// `scheme://authority` of an endpoint (no path), as the S3 lister takes it.
Result<std::string> normalise_endpoint(std::string const& endpoint) {
  auto ep = parse_endpoint(endpoint, EndpointRules{});
  if (!ep) return ep.error();
  return ep->scheme + "://" + ascii_to_lower(ep->authority);
}

// The GCS strategy of the one page fetcher (page_fetch.hpp): objects.list with a bearer
// token, awaited from the provider on the listing's own client (gcs_tokens.hpp).
class GcsStrategy final : public detail::PageStrategy {
 public:
  GcsStrategy(GcsListerConfig config, std::string base_url, std::string endpoint,
              std::shared_ptr<HttpClient> client)
      : config_(std::move(config)),
        base_url_(std::move(base_url)),
        endpoint_(std::move(endpoint)),
        client_(std::move(client)) {}
  ~GcsStrategy() override { wipe(token_); }
  GcsStrategy(GcsStrategy const&) = delete;
  GcsStrategy& operator=(GcsStrategy const&) = delete;

  [[nodiscard]] std::string url(ListRequest const& req) const override {
    return base_url_ + "?" + gcs_list_query(req);
  }

  detail::asio::awaitable<Result<HttpRequest>> request(
      ListRequest const&, std::string const& url, detail::FetchControl const& control) override {
    wipe(token_);
    Result<std::string> token = std::string();
    auto* async = dynamic_cast<detail::AsyncTokenSource*>(config_.tokens.get());
    if (async != nullptr) {
      token = co_await async->co_token(*client_, control);
    } else {
      token = config_.tokens->token();  // a provider from elsewhere: its own blocking call
    }
    if (!token) co_return token.error();
    token_ = std::move(*token);
    HttpRequest http;
    http.method = "GET";
    http.url = url;
    http.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
    co_return http;
  }

  bool invalidate() override {
    bool const fresh = config_.tokens->invalidate(token_);
    wipe(token_);
    return fresh;
  }

  [[nodiscard]] Error status_error(HttpResponse const& response,
                                   std::string_view url) const override {
    return gcs_list_error(response, url, config_, config_.tokens->describe());
  }

  [[nodiscard]] detail::PageFormat format() const noexcept override {
    return detail::PageFormat::kGcs;
  }

  [[nodiscard]] std::string describe() const override {
    std::string d = "gs://" + config_.bucket;
    if (!config_.prefix_for_messages.empty()) d += "/" + config_.prefix_for_messages;
    if (!config_.endpoint.empty()) d += " at " + endpoint_;
    return d;
  }

 private:
  GcsListerConfig config_;
  std::string base_url_;
  std::string endpoint_;
  std::shared_ptr<HttpClient> client_;
  std::string token_;  // of the last request (invalidate), wiped once used
};

}  // namespace

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

Result<std::unique_ptr<detail::PageFetch>> detail::make_gcs_page_fetch(
    GcsListerConfig config, std::shared_ptr<HttpClient> client) {
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
  auto http = client_or_new(std::move(client), config.http);
  if (!http) return http.error();
  RetryOptions const retry = config.retry;
  RetryEnv env = config.retry_env;
  std::shared_ptr<HttpClient> shared = *http;
  return std::make_unique<PageFetch>(
      std::make_unique<GcsStrategy>(std::move(config), std::move(*base), std::move(endpoint),
                                    shared),
      std::move(shared), retry, std::move(env));
}

Result<std::unique_ptr<PageFetcher>> make_gcs_page_fetcher(GcsListerConfig config) {
  auto fetch = detail::make_gcs_page_fetch(std::move(config));
  if (!fetch) return fetch.error();
  return std::unique_ptr<PageFetcher>(new detail::BlockingPageFetcher(std::move(*fetch)));
}

}  // namespace presign::io
