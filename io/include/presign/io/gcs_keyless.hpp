#pragma once
/// GCS keyless signing: the IAM Credentials `signBlob` API signs each string to sign with a
/// service account's Google-managed key, so no key file is needed (GKE, GCE, a user's
/// `gcloud auth application-default login`). What it needs, all here:
///
/// - OAuth2 access tokens of the caller, behind gcs_lister.hpp's `AccessTokenProvider` (so the
///   same tokens list buckets):
///   - the GCE/GKE metadata server: `GET http://HOST/computeMetadata/v1/instance/
///     service-accounts/default/token` with `Metadata-Flavor: Google` (the answer must carry
///     that header too, or it is not a metadata server), HOST from `GCE_METADATA_HOST` as
///     Google's libraries read it, else 169.254.169.254;
///   - ADC user credentials (`authorized_user`): the refresh-token grant POSTed to the file's
///     `token_uri`.
///   Both cache their token and refresh it `min(margin, lifetime / 2)` before it expires, and
///   once more after a 401; requests are retried under the GCS profile (429, 5xx, timeouts).
/// - `SignBlobClient`: `POST {base}v1/projects/-/serviceAccounts/{EMAIL}:signBlob` with
///   `{"payload": base64(bytes)}` and the caller's bearer token; the answer
///   `{"keyId": "...", "signedBlob": base64}`. Base: `https://iamcredentials.googleapis.com/`,
///   or gcloud's `CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS`. A batch's calls run
///   concurrently on the client's I/O thread over keep-alive connections, each retried on
///   429/5xx/timeouts/malformed answers with timer backoff; a 401 refreshes the token once.
/// - `make_impersonated_token_provider`: tokens of a service account for listing, as
///   `gcloud storage ls --impersonate-service-account` gets them: `POST {base}v1/projects/-/
///   serviceAccounts/{EMAIL}:generateAccessToken` with `{"scope": [SCOPE], "lifetime":
///   "3600s"}` and the caller's bearer token; the answer `{"accessToken", "expireTime"}`.
///   Same base, retries and refusals as signBlob (io/src/gcs_iam.hpp).
///
/// Secrets: tokens, refresh tokens and client secrets never appear in an Error, a message or
/// `describe()`; errors name the endpoint (method, scheme, host, path) and the account.

#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/io/gcs_lister.hpp"
#include "presign/io/http_client.hpp"
#include "presign/io/retry.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace presign::io {

inline constexpr char kEnvGceMetadataHost[] = "GCE_METADATA_HOST";
/// The metadata server's address when GCE_METADATA_HOST is not set (as google-auth).
inline constexpr char kGceMetadataDefaultHost[] = "169.254.169.254";
inline constexpr char kEnvIamCredentialsEndpoint[] =
    "CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS";
inline constexpr char kIamCredentialsEndpoint[] = "https://iamcredentials.googleapis.com/";
/// The scope a token needs to call signBlob (and to list).
inline constexpr char kCloudPlatformScope[] = "https://www.googleapis.com/auth/cloud-platform";

/// What every token flow shares: transport, retries, refresh margin, clock.
struct TokenFlowOptions {
  HttpClientOptions http;
  RetryOptions retry = RetryOptions::gcs();
  RetryEnv retry_env;  ///< empty members: RetryEnv::system()
  /// Refresh this long before expiry (capped at half the token's lifetime).
  std::chrono::seconds refresh_margin{300};
  /// Wall clock of the token's expiry (default: system clock).
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// The metadata server's token flow.
struct MetadataTokenConfig : TokenFlowOptions {
  std::string host = kGceMetadataDefaultHost;  ///< host[:port], as GCE_METADATA_HOST holds it
};

/// `http://HOST/computeMetadata/v1/instance/service-accounts/default/` + `leaf`, or kConfig
/// naming GCE_METADATA_HOST when HOST is not a usable host[:port].
Result<std::string> metadata_url(std::string_view host, std::string_view leaf);

/// Validates the host and makes no request (the first token is fetched on first use).
Result<std::unique_ptr<AccessTokenProvider>> make_metadata_token_provider(
    MetadataTokenConfig config);

/// The default service account's e-mail (`.../default/email`), retried as the token is.
/// Blocking; kAuth/kNetwork errors say the metadata server at HOST could not be asked.
Result<std::string> fetch_metadata_email(MetadataTokenConfig const& config);

/// The refresh-token grant of ADC user credentials (`authorized_user`).
struct UserTokenConfig : TokenFlowOptions {
  std::string client_id;
  std::string client_secret;
  std::string refresh_token;
  std::string token_uri;  ///< the file's `token_uri` (google-auth's default when absent)
  std::string origin;     ///< the file, for messages
};

/// Validates the token URI and makes no request.
Result<std::unique_ptr<AccessTokenProvider>> make_user_token_provider(UserTokenConfig config);

/// The body of the metadata server's `email` answer: one e-mail (surrounding whitespace
/// allowed). kProtocol otherwise. Public for tests and the fuzz target.
Result<std::string> parse_metadata_email(std::string_view body);

/// A service-account e-mail that can go into a URL path and a message: 3..254 bytes of
/// `A-Z a-z 0-9 . _ + - @`, exactly one '@', not at either end.
bool is_service_account_email(std::string_view email) noexcept;

/// signBlob's 200 body: `signedBlob` (required, canonical base64 of 1..512 bytes, decoded
/// into `signature`) and `keyId` (optional string). kProtocol otherwise. Public for tests and
/// the fuzz target.
struct SignBlobResponse {
  std::string key_id;
  std::string signature;  ///< raw bytes
};
Result<SignBlobResponse> parse_sign_blob_response(std::string_view body);

/// `{base}v1/projects/-/serviceAccounts/{email}:signBlob` (a '/' is added after `base` when
/// missing). kUsage for an e-mail that is not one, kConfig for a base that is not an http(s)
/// URL (naming CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS).
Result<std::string> sign_blob_url(std::string_view base, std::string_view email);

/// generateAccessToken's 200 body: `accessToken` (required, header-safe) and `expireTime`
/// (required, RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`). kProtocol otherwise, never
/// quoting the body. Public for tests and the fuzz target.
struct GeneratedAccessToken {
  std::string access_token;
  SigningTime expire_time{};
};
Result<GeneratedAccessToken> parse_generate_access_token_response(std::string_view body);

/// `{base}v1/projects/-/serviceAccounts/{email}:generateAccessToken` (as `sign_blob_url`).
Result<std::string> generate_access_token_url(std::string_view base, std::string_view email);

/// Tokens of the service account `email`, got with the caller's tokens (`base`).
struct ImpersonatedTokenConfig : TokenFlowOptions {
  std::string email;                          ///< the service account to act as
  std::string endpoint;                       ///< base URL; empty: kIamCredentialsEndpoint
  std::shared_ptr<AccessTokenProvider> base;  ///< the caller's tokens
  std::string scope = std::string(signers::gcs::oauth::kReadOnlyScope);
  std::chrono::seconds lifetime{3600};  ///< asked for ("3600s"); IAM's default and usual maximum
};

/// An `AccessTokenProvider` of `config.email`'s tokens: each one asked from IAM with a token
/// of `base` (a 401 of IAM refreshes that one once), cached and refreshed
/// `min(refresh_margin, lifetime / 2)` before its `expireTime`; the IAM call retried as
/// signBlob's (429/5xx/timeouts/malformed answers; 401/403/404 not). A listing awaits it on its
/// own client. Validates the e-mail, the endpoint and the transport; makes no request.
/// `describe()`: "service account EMAIL (impersonated with <base's describe()>)".
Result<std::unique_ptr<AccessTokenProvider>> make_impersonated_token_provider(
    ImpersonatedTokenConfig config);

struct SignBlobConfig {
  std::string email;                            ///< the service account that signs
  std::string endpoint;                         ///< base URL; empty: kIamCredentialsEndpoint
  std::shared_ptr<AccessTokenProvider> tokens;  ///< the caller's tokens
  HttpClientOptions http;
  /// 408, 429 and 5xx, timeouts and malformed answers retried with full-jitter backoff.
  RetryOptions retry = RetryOptions::gcs();
  RetryEnv retry_env;
  /// Calls in flight at once per `sign_many` (each on its own keep-alive connection).
  std::size_t concurrency = 64;
};

/// Signs blobs as one service account. Thread-safe: several workers may call `sign_many` at
/// once (their calls share the client's I/O thread, connection pool and retry quota).
class SignBlobClient {
 public:
  /// Validates the configuration and starts the HTTP client; makes no request.
  static Result<std::shared_ptr<SignBlobClient>> create(SignBlobConfig config);
  ~SignBlobClient();
  SignBlobClient(SignBlobClient const&) = delete;
  SignBlobClient& operator=(SignBlobClient const&) = delete;

  /// Signs every payload, concurrently; `signatures[i]` gets the raw signature of
  /// `payloads[i]`, or stays empty when that call failed after its retries (`failed` counts
  /// them). A failure that no retry can mend (401 after a fresh token, 403, 404, 400, a token
  /// that cannot be had) stops the batch and is returned: the other signatures may be
  /// missing. `first_failure`, when given, receives the error of the first call whose
  /// retries ran out. Blocks the calling thread (never call it from the client's I/O thread).
  Result<void> sign_many(std::span<std::string const> payloads,
                         std::vector<std::string>& signatures, std::size_t& failed,
                         std::optional<Error>* first_failure = nullptr);

  /// One payload (tests, the signer's check before a job).
  Result<std::string> sign(std::string_view payload);

  [[nodiscard]] std::string const& email() const noexcept;
  [[nodiscard]] HttpClientStats stats() const noexcept;

  class Impl;

 private:
  explicit SignBlobClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace presign::io
