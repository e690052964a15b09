// The Azure List Blobs page fetcher (see azure_lister.hpp for the contract).
//
// The strategy only: the URL, Shared Key (a fresh x-ms-date for every attempt), the error of
// a non-2xx answer and the List Blobs parser; the one page fetcher (page_fetch.cpp) sends,
// retries and parses, as for S3 (docs/RELIABILITY.md §1.4 and §1.5).
#include "presign/io/azure_lister.hpp"
#include "presign/core/http_date.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include "page_fetch.hpp"
#include "page_fetchers.hpp"
#include "presign/signers/azure_shared_key.hpp"
#include "presign/signers/uri.hpp"

#include <algorithm>
#include <chrono>

namespace presign::io {
namespace {

namespace sk = signers::azure::shared_key;

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_account(std::string_view a) {
  return !a.empty() && a.size() <= 64 && std::all_of(a.begin(), a.end(), lower_alnum);
}

// Azure's rule: 3-63 of a-z 0-9 '-' (plus the system containers). Checked so that the name
// can go into the URL path and the signed resource without encoding.
bool valid_container(std::string_view c) {
  if (c == "$root" || c == "$logs" || c == "$web") return true;
  return c.size() >= 3 && c.size() <= 63 &&
         std::all_of(c.begin(), c.end(), [](char ch) { return lower_alnum(ch) || ch == '-'; });
}

// A path segment character sent and signed as is (RFC 3986 unreserved, and '/').
bool plain_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '/';
}

// The Azure strategy of the one page fetcher (page_fetch.hpp): List Blobs with Shared Key,
// a fresh x-ms-date for every attempt.
class AzureStrategy final : public detail::PageStrategy {
 public:
  AzureStrategy(AzureListerConfig config, AzureListTarget target)
      : config_(std::move(config)),
        target_(std::move(target)),
        signer_(config_.account, config_.bearer ? std::string_view("-") : config_.account_key) {
    // The signer holds the key's HMAC midstates; the plain copy is no longer needed.
    std::fill(config_.account_key.begin(), config_.account_key.end(), '\0');
    config_.account_key.clear();
  }

  [[nodiscard]] std::string url(ListRequest const& req) const override {
    return target_.base_url + "?" + signers::encode_query(azure_list_query(req));
  }

  boost::asio::awaitable<Result<HttpRequest>> request(ListRequest const& req,
                                                      std::string const& url,
                                                      detail::FetchControl const&) override {
    SigningTime const now =
        config_.clock ? config_.clock()
                      : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    sk::Request parts;
    parts.method = "GET";
    parts.path = target_.path;
    parts.query = azure_list_query(req);
    parts.headers = {{"x-ms-date", format_http_date(now)}, {"x-ms-version", config_.version}};
    HttpRequest http;
    http.method = "GET";
    http.url = url;
    http.headers = parts.headers;
    if (config_.bearer) {
      // A fresh token when the one in hand is about to end (see AzureListerConfig::bearer).
      if (token_.token.empty() || token_.expires - kBearerRefreshMargin <= now) {
        std::fill(token_.token.begin(), token_.token.end(), '\0');
        auto t = config_.bearer();
        if (!t) co_return t.error();
        token_ = std::move(*t);
      }
      http.headers.emplace_back("Authorization", "Bearer " + token_.token);
      co_return http;
    }
    http.headers.emplace_back("Authorization", signer_.authorization(parts));
    co_return http;
  }

  [[nodiscard]] Error status_error(HttpResponse const& response,
                                   std::string_view url) const override {
    return azure_list_error(response, url, config_);
  }

  [[nodiscard]] detail::PageFormat format() const noexcept override {
    return detail::PageFormat::kAzure;
  }
  [[nodiscard]] std::string_view expected_owner() const noexcept override {
    return config_.container;
  }
  [[nodiscard]] std::string_view owner_word() const noexcept override { return "container"; }

  [[nodiscard]] std::string describe() const override {
    std::string d = "az://" + config_.account + "/" + config_.container;
    if (!config_.prefix_for_messages.empty()) d += "/" + config_.prefix_for_messages;
    if (!config_.endpoint.empty()) d += " at " + describe_request("", config_.endpoint).substr(1);
    return d;
  }

 private:
  AzureListerConfig config_;
  AzureListTarget target_;
  sk::Signer signer_;  // Shared Key (unused with a bearer token)
  BearerToken token_;  // the bearer token in hand (I/O thread only)
};

}  // namespace

Result<AzureListTarget> resolve_azure_list_target(AzureListerConfig const& c) {
  if (!valid_account(c.account)) {
    return usage("'" + c.account + "' is not a valid storage account name (a-z and 0-9 only)");
  }
  if (!valid_container(c.container)) {
    return usage("'" + c.container +
                 "' is not a valid container name (3 to 63 of a-z, 0-9 and '-', or $root, "
                 "$logs, $web)");
  }
  std::string base;
  if (c.endpoint.empty()) {
    base = "https://" + c.account + ".blob.core.windows.net";
  } else {
    auto ep = parse_endpoint(c.endpoint, EndpointRules{.allow_path = true});
    if (!ep) return ep.error();
    std::string_view const path = ep->path;
    if (!std::all_of(path.begin(), path.end(), plain_path_char) ||
        path.find("//") != std::string_view::npos) {
      return usage(
          "endpoint path may hold only letters, digits, '-', '.', '_', '~' and single "
          "'/': '" +
          c.endpoint + "'");
    }
    base = ep->scheme + "://" + ascii_to_lower(ep->authority) + ep->path;
  }
  AzureListTarget t;
  t.base_url = base + "/" + c.container;
  auto parsed = parse_url(t.base_url);
  if (!parsed) {
    return usage("endpoint '" + c.endpoint + "' is not a valid URL: " + parsed.error().detail);
  }
  t.path = parsed->target;
  t.host_header = parsed->host_header;
  return t;
}

std::vector<std::pair<std::string, std::string>> azure_list_query(ListRequest const& req) {
  // Sorted by name: comp < marker < maxresults < prefix < restype.
  std::vector<std::pair<std::string, std::string>> q;
  q.emplace_back("comp", "list");
  if (!req.token.empty()) q.emplace_back("marker", req.token);
  std::uint32_t const n = std::clamp<std::uint32_t>(
      req.page_size == 0 ? kAzureMaxResults : req.page_size, 1, kAzureMaxResults);
  q.emplace_back("maxresults", std::to_string(n));
  if (!req.prefix.empty()) q.emplace_back("prefix", req.prefix);
  q.emplace_back("restype", "container");
  return q;
}

Error azure_list_error(HttpResponse const& response, std::string_view url,
                       AzureListerConfig const& config) {
  Error e = error_from_response(response, "GET", url);
  std::string const& code = e.provider_code;
  std::string const message = e.detail;  // "GET scheme://host/path: HTTP 403 Code: message"
  std::string const where = config.endpoint.empty()
                                ? std::string("in Azure Storage")
                                : "at " + describe_request("", config.endpoint).substr(1);

  if (response.status == 401 || response.status == 403) {
    e.kind = ErrorKind::kAuth;
    std::string const why =
        code == "AuthenticationFailed"
            ? "the signature did not match: wrong account key, or a clock more than 15 minutes off"
        // Azurite answers a wrong signature with AuthorizationFailure; Azure uses it for
        // network rules and disabled shared-key access.
        : code == "AuthorizationFailure"
            ? "not authorized: a wrong account key, or a network or shared-key rule of the account"
        : code == "AuthorizationPermissionMismatch" ? "the key may not list this container"
        : code == "InvalidAuthenticationInfo"       ? "the authentication information is malformed"
        : code == "AccountIsDisabled"               ? "the account is disabled"
                                                    : "the request was refused";
    e.detail = config.bearer
                   ? "Azure Storage refused the Entra ID token for storage account '" +
                         config.account +
                         "' (the identity needs a data role such as Storage Blob Data Reader "
                         "on the container; " +
                         code + "); " + message
                   : "Azure Storage refused the Shared Key of storage account '" + config.account +
                         "' (" + why + "); " + message;
    return e;
  }
  if (response.status == 404) {
    e.kind = ErrorKind::kConfig;
    if (code == "ContainerNotFound") {
      e.detail = "container '" + config.container + "' does not exist in storage account '" +
                 config.account + "' " + where + " (" + message + ")";
    } else {
      e.detail =
          "storage account '" + config.account + "' or container '" + config.container +
          "' was not found " + where +
          (config.endpoint.empty() ? std::string()
                                   : std::string("; check --endpoint (path-style "
                                                 "emulators need the account in its path)")) +
          " (" + message + ")";
    }
    return e;
  }
  return e;
}

Result<std::unique_ptr<detail::PageFetch>> detail::make_azure_page_fetch(
    AzureListerConfig config, std::shared_ptr<HttpClient> client) {
  auto target = resolve_azure_list_target(config);
  if (!target) return target.error();
  if (config.account_key.empty() && !config.bearer) {
    return make_error(ErrorKind::kConfig, "listing az://" + config.account + "/" +
                                              config.container +
                                              " needs the account key: it is empty");
  }
  if (config.version.empty()) return usage("the x-ms-version of the listing is empty");
  if (config.retry.max_attempts < 1) {
    return usage("the retry attempts must be at least 1, not " +
                 std::to_string(config.retry.max_attempts));
  }
  auto http = client_or_new(std::move(client), config.http);
  if (!http) return http.error();
  RetryOptions const retry = config.retry;
  RetryEnv env = config.retry_env;
  return std::make_unique<PageFetch>(
      std::make_unique<AzureStrategy>(std::move(config), std::move(*target)), std::move(*http),
      retry, std::move(env));
}

Result<std::unique_ptr<PageFetcher>> make_azure_page_fetcher(AzureListerConfig config) {
  auto fetch = detail::make_azure_page_fetch(std::move(config));
  if (!fetch) return fetch.error();
  return std::unique_ptr<PageFetcher>(new detail::BlockingPageFetcher(std::move(*fetch)));
}

}  // namespace presign::io
