// The Azure List Blobs page fetcher (see azure_lister.hpp for the contract).
//
// One fetch = one RetryPolicy::run over attempts of: date + sign (fresh x-ms-date) → send →
// status check → parse. As in s3_lister.cpp the parse is inside the attempt: a 200 carrying
// half a document is a transient fault and is retried, never turned into a short page
// (docs/RELIABILITY.md §1.5).
#include "presign/io/azure_lister.hpp"
#include "presign/core/http_date.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include "fetch_cancel.hpp"
#include "presign/io/list_page.hpp"
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

class AzurePageFetcher final : public PageFetcher {
 public:
  AzurePageFetcher(AzureListerConfig config, AzureListTarget target,
                   std::unique_ptr<HttpClient> client)
      : config_(std::move(config)),
        target_(std::move(target)),
        client_(std::move(client)),
        signer_(config_.account, config_.account_key),
        retry_(config_.retry, cancel_.wrap(config_.retry_env)) {
    // The signer holds the key's HMAC midstates; the plain copy is no longer needed.
    std::fill(config_.account_key.begin(), config_.account_key.end(), '\0');
    config_.account_key.clear();
  }

  Result<void> fetch(ListRequest const& req, ListPage& page, std::string& key_bytes) override {
    page.clear();
    std::size_t const entry = key_bytes.size();
    sk::Request parts;
    parts.method = "GET";
    parts.path = target_.path;
    parts.query = azure_list_query(req);
    std::string const url = target_.base_url + "?" + azure_encode_query(parts.query);

    auto result = retry_.run(
        [&](AttemptContext& ctx) -> Result<void> {
          if (cancel_.cancelled()) return detail::FetchCancel::cancelled_error();
          SigningTime const now =
              config_.clock
                  ? config_.clock()
                  : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
          parts.headers = {{"x-ms-date", format_http_date(now)}, {"x-ms-version", config_.version}};
          HttpRequest http;
          http.method = "GET";
          http.url = url;
          http.headers = parts.headers;
          http.headers.emplace_back("Authorization", signer_.authorization(parts));
          auto resp = client_->send(std::move(http));
          if (!resp) return resp.error();
          if (resp->status < 200 || resp->status >= 300) {
            ctx.retry_after = retry_hint(*resp, retry_.env().wall_now());
            return azure_list_error(*resp, url, config_);
          }
          auto parsed = parser_.parse_azure(resp->body, page, key_bytes);
          if (!parsed) {
            return detail::malformed_page_error(parsed.error(), resp->status, url, "List Blobs");
          }
          if (!page.bucket.empty() && page.bucket != config_.container) {
            // Not retried: a proxy or a misconfigured endpoint serving another container. (The
            // message is built before the page is cleared: clear() empties `bucket` too.)
            Error e = make_error(ErrorKind::kProtocol,
                                 describe_request("GET", url) + ": the listing is of container '" +
                                     page.bucket + "', not '" + config_.container + "'");
            key_bytes.resize(entry);
            page.clear();
            return e;
          }
          return {};
        },
        page_label(req));
    if (!result) {
      key_bytes.resize(entry);
      page.clear();
      return result.error();
    }
    return {};
  }

  [[nodiscard]] std::string describe() const override {
    std::string d = "az://" + config_.account + "/" + config_.container;
    if (!config_.prefix_for_messages.empty()) d += "/" + config_.prefix_for_messages;
    if (!config_.endpoint.empty()) d += " at " + describe_request("", config_.endpoint).substr(1);
    return d;
  }

  void cancel() noexcept override { cancel_.cancel(); }

 private:
  AzureListerConfig config_;
  AzureListTarget target_;
  std::unique_ptr<HttpClient> client_;
  sk::Signer signer_;
  ListPageParser parser_;
  detail::FetchCancel cancel_;
  RetryPolicy retry_;  // after cancel_: its sleeper refers to it
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

std::string azure_encode_query(std::vector<std::pair<std::string, std::string>> const& params) {
  std::string out;
  for (auto const& [name, value] : params) {
    if (!out.empty()) out += '&';
    signers::append_uri_encoded(out, name, false);
    out += '=';
    signers::append_uri_encoded(out, value, false);
  }
  return out;
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
    e.detail = "Azure Storage refused the Shared Key of storage account '" + config.account +
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

Result<std::unique_ptr<PageFetcher>> make_azure_page_fetcher(AzureListerConfig config) {
  auto target = resolve_azure_list_target(config);
  if (!target) return target.error();
  if (config.account_key.empty()) {
    return make_error(ErrorKind::kConfig, "listing az://" + config.account + "/" +
                                              config.container +
                                              " needs the account key: it is empty");
  }
  if (config.version.empty()) return usage("the x-ms-version of the listing is empty");
  if (config.retry.max_attempts < 1) {
    return usage("the retry attempts must be at least 1, not " +
                 std::to_string(config.retry.max_attempts));
  }
  auto client = HttpClient::create(config.http);
  if (!client) return client.error();
  return std::unique_ptr<PageFetcher>(
      new AzurePageFetcher(std::move(config), std::move(*target), std::move(*client)));
}

}  // namespace presign::io
