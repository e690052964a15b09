#pragma once
/// The S3 `PageFetcher`: ListObjectsV2 pages with SigV4 header auth, retried under the
/// listing profile of presign/io/retry.hpp, each page parsed and validated inside the retry
/// attempt (a malformed `200` is retried like a 503, never emitted as a short page).
///
/// Request: `GET <base>?continuation-token=…&encoding-type=url&list-type=2&max-keys=…&prefix=…
/// &start-after=…`, parameters in canonical (sorted) order and encoded exactly as they are
/// signed (RFC 3986, `/` encoded, so a token's `+` travels as `%2B`). `start-after` only on the
/// first page; `prefix` omitted when empty.
///
/// Addressing (`resolve_s3_list_target`):
/// - AWS (no endpoint): virtual-hosted `BUCKET.s3.amazonaws.com` (us-east-1) or
///   `BUCKET.s3.REGION.amazonaws.com`, path `/`, for DNS-compatible names in `auto` mode and
///   always in `virtual` mode; path style `s3.amazonaws.com/BUCKET` (us-east-1) or
///   `s3.REGION.amazonaws.com/BUCKET` otherwise. (Requests go to the regional endpoint, as the
///   SDKs' API calls do; presigned URLs keep botocore's global host.)
/// - A custom endpoint (`scheme://host[:port]`, http or https): path style `ENDPOINT/BUCKET`
///   unless `virtual` is asked for (`BUCKET.HOST[:port]`): S3-compatible servers and emulators
///   rarely have wildcard DNS.
///
/// Errors (all name the listing, never a secret):
/// - 401/403: kAuth, naming the access key id (never the secret) and the service's code
///   (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `AccessDenied`, `ExpiredToken`).
/// - 404 `NoSuchBucket`: kConfig ("bucket … does not exist at …").
/// - 301 `PermanentRedirect` / 400 `AuthorizationHeaderMalformed` / `IllegalLocationConstraint`
///   with a region hint: kConfig, "bucket … is in region X, not Y; pass --region X" when the
///   response says (`x-amz-bucket-region` header or `<Region>` element).
/// - Retries exhausted: the retry policy's "gave up after N attempts …: last error: …".

#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/io/http_client.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"
#include "presign/signers/sigv4.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::io {

struct S3ListerConfig {
  std::string bucket;
  std::string region = "us-east-1";
  /// Empty for AWS, else `scheme://host[:port]` (a trailing '/' accepted, no path).
  std::string endpoint;
  signers::sigv4::Addressing addressing = signers::sigv4::Addressing::kAuto;
  /// The keys of the first request (checked present by the factory).
  signers::sigv4::Credentials credentials;
  /// Set: asked for the keys before every request, so temporary credentials can be refreshed
  /// during a long listing (providers/s3 fills it from auth::RefreshingCredentials; io knows
  /// nothing of where keys come from). A failure ends the fetch with that error, unretried.
  /// Called on the HTTP client's I/O thread: a refresh (an STS call, a credential_process
  /// run) holds that thread, and so the listing, for its duration. Empty: `credentials` for
  /// every request.
  std::function<Result<signers::sigv4::Credentials>()> current_credentials;
  /// Only for messages (`describe()`): the prefix the caller lists, e.g. from the URI.
  std::string prefix_for_messages;
  /// Only for messages: the URI scheme and the service's name. Cloud Storage's XML API with
  /// an HMAC key is the same protocol, reported as "gs://…" and "Cloud Storage".
  std::string scheme_for_messages = "s3";
  std::string service_for_messages = "S3";

  HttpClientOptions http;  ///< timeouts and TLS (ca bundle, verification)
  RetryOptions retry = RetryOptions::for_listing(RetryProvider::kAws);
  /// Clock, sleeper and randomness of the retries. Empty members take the defaults of
  /// `RetryEnv::system()`, except `sleep`: left empty, the backoff is a timer wait on the
  /// client's I/O thread that `cancel()` cuts short; set (tests), it is called instead.
  RetryEnv retry_env;
  /// The signing clock (default: the system clock, whole seconds). Each attempt is signed
  /// anew, so a page retried for minutes never carries a stale X-Amz-Date.
  std::function<SigningTime()> clock;
};

/// Where ListObjectsV2 requests go.
struct S3ListTarget {
  std::string base_url;     ///< `scheme://authority/path` without the query
  std::string path;         ///< the path that is signed ("/" or "/bucket")
  std::string host_header;  ///< the Host value sent and signed (default port omitted)
  bool virtual_host = false;
};

/// Resolves the addressing described in the file comment; kUsage for a bad bucket name,
/// region or endpoint.
Result<S3ListTarget> resolve_s3_list_target(S3ListerConfig const& config);

/// The decoded query parameters of the ListObjectsV2 request for `req`, sorted by name (the
/// order they are signed and sent in). `max-keys` is `req.page_size` clamped to 1..1000.
std::vector<std::pair<std::string, std::string>> s3_list_query(ListRequest const& req);

/// Turns a non-2xx ListObjectsV2 response into the error described in the file comment.
/// `url` is the request's (its query is never quoted). Public for tests.
Error s3_list_error(HttpResponse const& response, std::string_view url,
                    S3ListerConfig const& config);

/// The S3 fetcher. Validates the configuration (target, credentials present) and creates
/// its HTTP client (kConfig for an unreadable CA bundle) before any request.
Result<std::unique_ptr<PageFetcher>> make_s3_page_fetcher(S3ListerConfig config);

}  // namespace presign::io
