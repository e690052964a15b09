#pragma once
/// The Azure `PageFetcher`: Blob service "List Blobs" pages with Shared Key auth
/// (presign/signers/azure_shared_key.hpp) or an Entra ID bearer token, retried under the Azure
/// listing profile of presign/io/retry.hpp, each page parsed and validated inside the retry attempt
/// (a malformed `200` is retried like a 503, never emitted as a short page). The shape mirrors
/// s3_lister.hpp.
///
/// Request: `GET {endpoint}/{container}?comp=list&marker=…&maxresults=N&prefix=…
/// &restype=container` with `x-ms-date` (RFC 1123, fresh for every attempt), `x-ms-version`
/// (`kAzureListVersion`) and `Authorization: SharedKey ACCOUNT:SIG`. Parameters are sent in
/// sorted order, names and values percent-encoded per RFC 3986 (so a marker's or prefix's `+`
/// travels as `%2B`: Azurite, like `application/x-www-form-urlencoded`, would read a raw `+`
/// as a space); the values signed are the decoded ones. `marker` only after the first page,
/// `prefix` only when non-empty; `maxresults` is `page_size` clamped to 1..5000 (0 → 5000).
///
/// Endpoint: empty → `https://ACCOUNT.blob.core.windows.net`; otherwise
/// `http(s)://host[:port][/path]`, the path holding the account for path-style emulators
/// (Azurite: `http://127.0.0.1:10000/devstoreaccount1`). A trailing '/' is dropped. The
/// Shared Key canonicalized resource is `/ACCOUNT` + the request path, whatever the style.
///
/// Pages: an empty page with a NextMarker is normal (Azure returns them while it skips
/// deleted or uncommitted blobs) and is returned as such; the ListingSource asks for the next.
/// A page whose `ContainerName` attribute names another container is a kProtocol error.
///
/// Errors (all name the account and container, never the key):
/// - 401/403 (AuthenticationFailed, AuthorizationFailure, …): kAuth, "Azure Storage refused
///   the Shared Key of storage account A …".
/// - 404 ContainerNotFound: kConfig "container C does not exist in storage account A at E";
///   other 404s (ResourceNotFound, AccountNotFound, a wrong endpoint path): kConfig too,
///   pointing at --endpoint.
/// - Retries exhausted: the retry policy's "gave up after N attempts …: last error: …".

#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/io/http_client.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::io {

/// The `x-ms-version` of List Blobs requests: accepted by Azure and by Azurite 3.37.0, and the
/// version the Python SDK the tests compare with uses.
inline constexpr std::string_view kAzureListVersion = "2021-12-02";
/// Largest `maxresults` the service accepts.
inline constexpr std::uint32_t kAzureMaxResults = 5000;

/// An Entra ID access token for listing with `Authorization: Bearer` (secret).
struct BearerToken {
  std::string token;
  SigningTime expires{};  ///< when it stops working
};

/// A token is refreshed when it has less than this left (azure-identity refreshes 5 minutes
/// before the end).
inline constexpr std::chrono::seconds kBearerRefreshMargin{300};

struct AzureListerConfig {
  std::string account;    ///< storage account name
  std::string container;  ///< container name
  /// Empty for Azure (`https://ACCOUNT.blob.core.windows.net`), else the blob endpoint,
  /// e.g. `http://127.0.0.1:10000/devstoreaccount1` (see the file comment).
  std::string endpoint;
  /// The *decoded* account key (secret; see signers::azure::shared_key::decode_account_key).
  std::string account_key;
  /// Set: list with Entra ID (`Authorization: Bearer`) instead of Shared Key; `account_key`
  /// stays empty. Called for the first request and whenever the token in hand ends within
  /// kBearerRefreshMargin (of `clock`), so a listing that outlives a token goes on. It runs on
  /// the HTTP client's I/O thread and may block (a token request): that thread serves this
  /// listing alone, which would wait for the token anyway. Its errors end the listing.
  std::function<Result<BearerToken>()> bearer;
  /// Only for messages (`describe()`): the listing prefix.
  std::string prefix_for_messages;
  std::string version = std::string(kAzureListVersion);  ///< x-ms-version

  HttpClientOptions http;  ///< timeouts and TLS (ca bundle, verification)
  RetryOptions retry = RetryOptions::for_listing(RetryProvider::kAzure);
  /// Clock, sleeper and randomness of the retries; as S3ListerConfig::retry_env (an empty
  /// `sleep` is a timer wait that `cancel()` cuts short).
  RetryEnv retry_env;
  /// The clock of `x-ms-date` (default: the system clock, whole seconds). Read for every
  /// attempt, so a page retried for minutes never carries a stale date (the service refuses
  /// requests more than 15 minutes off).
  std::function<SigningTime()> clock;
};

/// Where List Blobs requests go.
struct AzureListTarget {
  std::string base_url;     ///< `scheme://authority[/path]/CONTAINER`, no query
  std::string path;         ///< the URL path sent and signed, e.g. "/devstoreaccount1/c"
  std::string host_header;  ///< `host[:port]` (default port omitted)
};

/// Validates account, container and endpoint and resolves the target; kUsage otherwise.
Result<AzureListTarget> resolve_azure_list_target(AzureListerConfig const& config);

/// The decoded query parameters of the List Blobs request for `req`, sorted by name (the
/// order they are sent in): comp, [marker], maxresults, [prefix], restype.
std::vector<std::pair<std::string, std::string>> azure_list_query(ListRequest const& req);

/// Sent as `signers::encode_query` (signers/uri.hpp) encodes it.

/// Turns a non-2xx List Blobs response into the error described in the file comment. `url`
/// is the request's (its query is never quoted). Public for tests.
Error azure_list_error(HttpResponse const& response, std::string_view url,
                       AzureListerConfig const& config);

/// The Azure fetcher. Validates the configuration (target, key present, retry attempts) and
/// creates its HTTP client (kConfig for an unreadable CA bundle) before any request.
Result<std::unique_ptr<PageFetcher>> make_azure_page_fetcher(AzureListerConfig config);

}  // namespace presign::io
