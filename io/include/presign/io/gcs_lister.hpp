#pragma once
/// The GCS `PageFetcher`: JSON API objects.list with an OAuth2 bearer token, retried under the
/// GCS listing profile of presign/io/retry.hpp, each page parsed (`parse_gcs`) inside the retry
/// attempt, so a malformed `200` is retried like a 503, never emitted as a short page.
///
/// Request: `GET {endpoint}/storage/v1/b/{bucket}/o?fields=…&maxResults=N&pageToken=…&prefix=…`
/// with `Authorization: Bearer TOKEN`; the bucket and every query value RFC 3986-encoded
/// (`/` too); `fields=items(name,size,updated,generation,etag),nextPageToken,prefixes`;
/// maxResults = `ListRequest::page_size` clamped to 1..5000 (0: 1000); `pageToken` and
/// `prefix` omitted when empty. Endpoint default https://storage.googleapis.com.
///
/// Access tokens come from an `AccessTokenProvider` (the seam a stored integration can feed):
/// - a fixed token (`--access-token`, `GOOGLE_OAUTH_ACCESS_TOKEN`): used as is, never
///   refreshed;
/// - a service account: an RS256 JWT assertion (signers/gcs_oauth.hpp) POSTed form-encoded to
///   the key file's `token_uri`; the answer `{access_token, expires_in, token_type}` is cached
///   and refreshed `min(5 min, lifetime / 2)` before it expires, and once more when the list
///   call answers 401 (a token revoked or expired early). The token request is retried under
///   its own policy (429/5xx, GCS profile). Inside a listing the token request is a coroutine
///   on the fetcher's own client (no thread of its own), and `PageFetcher::cancel()` ends it
///   and its backoff at once; `token()` alone uses a client the provider makes on first use.
///
/// Errors (all name the listing, never a key, an assertion or a token):
/// - 401 after one refresh (or with a fixed token), 403: kAuth naming the credential
///   (`service account EMAIL` / `the access token from …`) and the service's reason.
/// - 404: kConfig "bucket '…' does not exist …".
/// - token endpoint 400/401/403 (`invalid_grant`, `invalid_client`, …): kAuth naming the
///   service account's e-mail and the endpoint's error code (and its description, cut).
/// - Retries exhausted (429, 5xx, transport faults, malformed 200): the retry policy's
///   "gave up after N attempts …: last error: …".

#include "presign/core/error.hpp"
#include "presign/io/http_client.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"
#include "presign/signers/gcs_oauth.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace presign::io {

inline constexpr char kGcsJsonApiEndpoint[] = "https://storage.googleapis.com";
/// The `fields` of every objects.list request: only what a listing page needs.
inline constexpr char kGcsListFields[] =
    "items(name,size,updated,generation,etag),nextPageToken,prefixes";
/// The environment variable of a ready-made access token.
inline constexpr char kEnvGoogleOauthAccessToken[] = "GOOGLE_OAUTH_ACCESS_TOKEN";

/// Where access tokens come from. Thread-safe. Tokens are secrets: implementations never put
/// one into an Error, a log or `describe()`.
class AccessTokenProvider {
 public:
  virtual ~AccessTokenProvider() = default;
  /// A token believed valid now (cached when possible).
  virtual Result<std::string> token() = 0;
  /// The service refused `rejected` (HTTP 401). Drops it from the cache so that the next
  /// `token()` fetches a fresh one; false when no other token can be had (a fixed token).
  virtual bool invalidate(std::string_view rejected) = 0;
  /// Whose token it is, for messages: "service account x@y" or "the access token from
  /// --access-token".
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// A token given by the user. `origin` says where it came from ("--access-token",
/// "GOOGLE_OAUTH_ACCESS_TOKEN"). kUsage for an empty token or one with bytes that cannot go
/// into an HTTP header (controls, spaces, non-ASCII).
Result<std::unique_ptr<AccessTokenProvider>> make_fixed_token_provider(std::string token,
                                                                       std::string origin);

struct ServiceAccountTokenConfig {
  ServiceAccountTokenConfig(signers::gcs::ServiceAccountKey k,
                            signers::gcs::oauth::ServiceAccountInfo i)
      : key(std::move(k)), info(std::move(i)) {}

  signers::gcs::ServiceAccountKey key;
  signers::gcs::oauth::ServiceAccountInfo info;  ///< client_email, kid, token_uri
  std::string scope = std::string(signers::gcs::oauth::kReadOnlyScope);
  HttpClientOptions http;                    ///< timeouts and TLS of the token endpoint
  RetryOptions retry = RetryOptions::gcs();  ///< 429/5xx of the token endpoint
  RetryEnv retry_env;                        ///< empty members: RetryEnv::system()
  /// Refresh this long before expiry (capped at half the token's lifetime).
  std::chrono::seconds refresh_margin{300};
  /// Wall clock of the assertion's iat and of the token's expiry (default: system clock).
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// The OAuth2 service-account flow. Validates the token URI and creates its HTTP client
/// before any request (no token is fetched until the first `token()`).
Result<std::unique_ptr<AccessTokenProvider>> make_service_account_token_provider(
    ServiceAccountTokenConfig config);

/// Parses a token endpoint's 200 body: `access_token` (required, header-safe), `expires_in`
/// (seconds; 3600 when absent), `token_type` (when present, "Bearer" in any case). kProtocol
/// otherwise, never quoting the token. Public for tests.
struct AccessTokenResponse {
  std::string access_token;
  std::int64_t expires_in = 3600;
};
Result<AccessTokenResponse> parse_token_response(std::string_view body);
/// A token that can travel in `Authorization: Bearer …`: 1 to 8,192 bytes of visible ASCII.
bool is_header_safe_token(std::string_view token) noexcept;

struct GcsListerConfig {
  std::string bucket;
  /// Empty: https://storage.googleapis.com; else `scheme://host[:port]` (http or https, a
  /// trailing '/' accepted, no path).
  std::string endpoint;
  std::shared_ptr<AccessTokenProvider> tokens;
  /// Only for messages (`describe()`): the prefix the caller lists.
  std::string prefix_for_messages;

  HttpClientOptions http;
  RetryOptions retry = RetryOptions::for_listing(RetryProvider::kGcs);
  /// Empty members take `RetryEnv::system()`'s, except `sleep`: left empty, it is a timer
  /// wait on the client's I/O thread that `cancel()` cuts short.
  RetryEnv retry_env;
};

/// `{endpoint}/storage/v1/b/{bucket}/o` (validated; kUsage for a bad bucket or endpoint).
Result<std::string> gcs_list_base_url(GcsListerConfig const& config);

/// The query string of the objects.list request for `req` (see the file comment).
std::string gcs_list_query(ListRequest const& req);

/// Turns a non-2xx objects.list response into the error described in the file comment.
/// `who` is the token provider's `describe()`. Public for tests.
Error gcs_list_error(HttpResponse const& response, std::string_view url,
                     GcsListerConfig const& config, std::string_view who);

/// The GCS fetcher. Validates the configuration (bucket, endpoint, a token provider) and
/// creates its HTTP client (kConfig for an unreadable CA bundle) before any request.
Result<std::unique_ptr<PageFetcher>> make_gcs_page_fetcher(GcsListerConfig config);

}  // namespace presign::io
