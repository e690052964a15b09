// The S3 ListObjectsV2 page fetcher (see s3_lister.hpp for the contract).
//
// The strategy only: the URL, SigV4 signing (a fresh X-Amz-Date for every attempt), the
// error of a non-2xx answer and the ListObjectsV2 parser; the one page fetcher
// (page_fetch.cpp) sends, retries and parses, the parse inside the attempt: a 200 whose body
// is half a document is a transient fault like a 503, retried rather than turned into a short
// page (docs/RELIABILITY.md §1.4 and §1.5).
#include "presign/io/s3_lister.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include "page_fetch.hpp"
#include "page_fetchers.hpp"
#include "presign/signers/sigv4_request.hpp"
#include "presign/signers/uri.hpp"

#include <algorithm>
#include <chrono>

namespace presign::io {
namespace {

namespace sigv4 = signers::sigv4;

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

bool valid_region(std::string_view r) {
  if (r.empty() || r.size() > 64) return false;
  return std::all_of(r.begin(), r.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The text of the first <name>…</name> of an XML error body (no entities expected in the
// elements read here: region names and host names), or empty.
std::string_view xml_text(std::string_view body, std::string_view name) {
  std::string const open = "<" + std::string(name) + ">";
  std::string const close = "</" + std::string(name) + ">";
  auto const a = body.find(open);
  if (a == std::string_view::npos) return {};
  auto const b = body.find(close, a + open.size());
  if (b == std::string_view::npos) return {};
  return body.substr(a + open.size(), b - a - open.size());
}

// A host name as S3 writes it in <Endpoint>: letters, digits, '.', '-' only (so nothing
// hostile reaches a message).
bool plain_host(std::string_view h) {
  return !h.empty() && h.size() <= 255 && std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

// The S3 strategy of the one page fetcher (page_fetch.hpp): ListObjectsV2 with SigV4 header
// auth, signed anew for every attempt.
class S3Strategy final : public detail::PageStrategy {
 public:
  S3Strategy(S3ListerConfig config, S3ListTarget target)
      : config_(std::move(config)),
        target_(std::move(target)),
        signer_(config_.credentials,
                sigv4::HeaderSigningOptions{.region = config_.region, .service = "s3"}) {}

  [[nodiscard]] std::string url(ListRequest const& req) const override {
    return target_.base_url + "?" + signers::encode_query(s3_list_query(req));
  }

  boost::asio::awaitable<Result<HttpRequest>> request(ListRequest const& req,
                                                      std::string const& url,
                                                      detail::FetchControl const&) override {
    sigv4::HttpRequestParts parts;
    parts.method = "GET";
    parts.path = target_.path;
    parts.query = s3_list_query(req);
    parts.headers = {{"host", target_.host_header}};
    parts.payload_hash = std::string(sigv4::kEmptyPayloadSha256);
    if (config_.current_credentials) {
      auto keys = config_.current_credentials();
      if (!keys) co_return keys.error();
      use(std::move(*keys));
    }
    SigningTime const now =
        config_.clock ? config_.clock()
                      : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto sig = signer_.sign(parts, now);
    if (!sig) co_return sig.error();
    HttpRequest http;
    http.method = "GET";
    http.url = url;
    http.headers = std::move(sig->headers);
    co_return http;
  }

  [[nodiscard]] Error status_error(HttpResponse const& response,
                                   std::string_view url) const override {
    return s3_list_error(response, url, config_);
  }

  [[nodiscard]] detail::PageFormat format() const noexcept override {
    return detail::PageFormat::kS3;
  }
  [[nodiscard]] std::string_view expected_owner() const noexcept override { return config_.bucket; }

  [[nodiscard]] std::string describe() const override {
    std::string d = config_.scheme_for_messages + "://" + config_.bucket;
    if (!config_.prefix_for_messages.empty()) d += "/" + config_.prefix_for_messages;
    if (!config_.endpoint.empty()) d += " at " + describe_request("", config_.endpoint).substr(1);
    return d;
  }

 private:
  // Signs with `keys` from now on when they differ from the keys in use (a refresh). The
  // messages of status_error name the access key id of these keys.
  void use(sigv4::Credentials keys) {
    sigv4::Credentials& held = config_.credentials;
    if (keys.access_key_id == held.access_key_id &&
        keys.secret_access_key == held.secret_access_key &&
        keys.session_token == held.session_token) {
      return;
    }
    held = std::move(keys);
    signer_ = sigv4::RequestSigner(
        held, sigv4::HeaderSigningOptions{.region = config_.region, .service = "s3"});
  }

  S3ListerConfig config_;
  S3ListTarget target_;
  sigv4::RequestSigner signer_;
};

}  // namespace

Result<S3ListTarget> resolve_s3_list_target(S3ListerConfig const& c) {
  if (c.bucket.empty()) return usage("the bucket name is empty");
  if (c.bucket.size() > 255 || std::any_of(c.bucket.begin(), c.bucket.end(), [](char ch) {
        return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f || ch == '/' || ch == '?' ||
               ch == '#' || ch == '%';
      })) {
    return usage("'" + c.bucket + "' is not a valid S3 bucket name");
  }
  if (!valid_region(c.region)) return usage("'" + c.region + "' is not a valid region");

  std::string scheme = "https";
  std::string authority;
  if (!c.endpoint.empty()) {
    auto ep = parse_endpoint(c.endpoint, EndpointRules{});
    if (!ep) return ep.error();
    scheme = std::move(ep->scheme);
    authority = ascii_to_lower(ep->authority);
  }
  bool const custom = !authority.empty();

  S3ListTarget t;
  switch (c.addressing) {
    case sigv4::Addressing::kVirtual:
      t.virtual_host = true;
      break;
    case sigv4::Addressing::kPath:
      t.virtual_host = false;
      break;
    case sigv4::Addressing::kAuto:
      t.virtual_host = !custom && sigv4::is_dns_compatible_bucket(c.bucket);
      break;
  }
  if (t.virtual_host) {
    if (c.bucket.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos) {
      return usage("bucket '" + c.bucket +
                   "' cannot be used virtual-hosted; use --addressing path");
    }
    if (custom && authority.front() == '[') {
      return usage("a virtual-hosted bucket needs a host name endpoint, not an IPv6 literal");
    }
  }
  std::string const aws_base = c.region == "us-east-1" ? std::string("s3.amazonaws.com")
                                                       : "s3." + c.region + ".amazonaws.com";
  std::string const base = custom ? authority : aws_base;
  std::string const url_authority = t.virtual_host ? c.bucket + "." + base : base;
  t.path = "/";
  if (!t.virtual_host) signers::append_uri_encoded(t.path, c.bucket, false);
  t.base_url = scheme + "://" + url_authority + t.path;
  auto parsed = parse_url(t.base_url);
  if (!parsed)
    return usage("endpoint '" + c.endpoint + "' is not a valid URL: " + parsed.error().detail);
  t.host_header = parsed->host_header;
  return t;
}

std::vector<std::pair<std::string, std::string>> s3_list_query(ListRequest const& req) {
  // Sorted by name: continuation-token < encoding-type < list-type < max-keys < prefix <
  // start-after (byte order of the encoded names, which need no encoding).
  std::vector<std::pair<std::string, std::string>> q;
  if (!req.token.empty()) q.emplace_back("continuation-token", req.token);
  q.emplace_back("encoding-type", "url");
  q.emplace_back("list-type", "2");
  std::uint32_t const n =
      std::clamp<std::uint32_t>(req.page_size == 0 ? 1000 : req.page_size, 1, 1000);
  q.emplace_back("max-keys", std::to_string(n));
  if (!req.prefix.empty()) q.emplace_back("prefix", req.prefix);
  if (req.token.empty() && !req.start_after.empty()) q.emplace_back("start-after", req.start_after);
  return q;
}

Error s3_list_error(HttpResponse const& response, std::string_view url,
                    S3ListerConfig const& config) {
  Error e = error_from_response(response, "GET", url);
  std::string const& code = e.provider_code;
  std::string const message = e.detail;  // "GET scheme://host/path: HTTP 403 Code: message"
  std::string const bucket = "bucket '" + config.bucket + "'";

  if (response.status == 401 || response.status == 403) {
    e.kind = ErrorKind::kAuth;
    std::string why =
        code == "InvalidAccessKeyId"
            ? "the access key id is unknown to " + config.service_for_messages
        : code == "SignatureDoesNotMatch" ? "the signature did not match: wrong secret access key"
        : code == "ExpiredToken" || code == "TokenRefreshRequired" ? "the session token has expired"
        : code == "InvalidToken"                                   ? "the session token is invalid"
        : code == "AccessDenied" ? "access denied: the key may not list this bucket"
                                 : "the request was refused";
    e.detail = config.service_for_messages + " refused the credentials of access key id " +
               config.credentials.access_key_id + " (" + why + "); " + message;
    return e;
  }

  // Where the bucket really is: the x-amz-bucket-region header (301, 400 and 403 answers
  // carry it), else <Region> of AuthorizationHeaderMalformed.
  std::string region(response.header("x-amz-bucket-region"));
  if (region.empty()) region = std::string(xml_text(response.body, "Region"));
  if (!valid_region(region)) region.clear();
  bool const wrong_region = response.status == 301 || code == "PermanentRedirect" ||
                            code == "AuthorizationHeaderMalformed" ||
                            code == "IllegalLocationConstraintException" ||
                            (!region.empty() && region != config.region);
  if (wrong_region && (response.status == 301 || response.status == 400)) {
    e.kind = ErrorKind::kConfig;
    if (!region.empty() && region != config.region) {
      e.detail = bucket + " is in region " + region + ", not " + config.region +
                 "; pass --region " + region + " (" + message + ")";
    } else {
      std::string_view const endpoint = xml_text(response.body, "Endpoint");
      e.detail =
          bucket + " is not in region " + config.region + " (" + config.service_for_messages +
          " answered HTTP " + std::to_string(response.status) + (code.empty() ? "" : " " + code) +
          (plain_host(endpoint) ? "; it must be addressed at " + std::string(endpoint) : "") +
          "); pass the bucket's --region";
    }
    return e;
  }
  if (response.status == 404 && (code == "NoSuchBucket" || code.empty())) {
    e.kind = ErrorKind::kConfig;
    e.detail =
        bucket + " does not exist" +
        (config.endpoint.empty() ? " in " + config.service_for_messages
                                 : " at " + describe_request("", config.endpoint).substr(1)) +
        " (" + message + ")";
    return e;
  }
  return e;
}

Result<std::unique_ptr<detail::PageFetch>> detail::make_s3_page_fetch(
    S3ListerConfig config, std::shared_ptr<HttpClient> client) {
  auto target = resolve_s3_list_target(config);
  if (!target) return target.error();
  if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty()) {
    return make_error(
        ErrorKind::kConfig,
        "listing " + config.scheme_for_messages + "://" + config.bucket +
            " needs AWS credentials: the access key id or the secret access key is empty");
  }
  if (config.retry.max_attempts < 1) {
    return usage("the retry attempts must be at least 1, not " +
                 std::to_string(config.retry.max_attempts));
  }
  auto http = client_or_new(std::move(client), config.http);
  if (!http) return http.error();
  RetryOptions const retry = config.retry;
  RetryEnv env = config.retry_env;
  return std::make_unique<PageFetch>(
      std::make_unique<S3Strategy>(std::move(config), std::move(*target)), std::move(*http), retry,
      std::move(env));
}

Result<std::unique_ptr<PageFetcher>> make_s3_page_fetcher(S3ListerConfig config) {
  auto fetch = detail::make_s3_page_fetch(std::move(config));
  if (!fetch) return fetch.error();
  return std::unique_ptr<PageFetcher>(new detail::BlockingPageFetcher(std::move(*fetch)));
}

}  // namespace presign::io
