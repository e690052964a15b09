#pragma once
/// A fake Cloud Storage JSON API server for the GCS listing tests: an OAuth2 token endpoint
/// that really checks service-account assertions, and objects.list over a fixed set of names.
///
/// - Listens on 127.0.0.1 only (port 0 = any free port), plain HTTP/1.1 with keep-alive. Runs
///   on its own thread until destroyed.
/// - `POST /token` (form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`):
///   verifies the JWT's RS256 signature with the public half of `key_pem`, and its header
///   (`alg` RS256, `typ` JWT) and claims (`iss` = `client_email`, `aud` = this server's
///   `token_url()`, `scope` = the read-only scope, `iat` within 5 minutes of now, `exp` =
///   iat + 1..3600). Success: `{"access_token": <random>, "expires_in": token_ttl,
///   "token_type": "Bearer"}`; failure: 400 `{"error":"invalid_grant", …}` as Google answers.
/// - `GET /storage/v1/b/{bucket}/o`: needs `Authorization: Bearer T` with T issued and not
///   expired (or `static_token`), else 401 `authError`. An unknown bucket is 404 `notFound`.
///   Serves `names` (kept sorted by bytes, duplicates dropped) under `prefix`, `maxResults`
///   (1..5000, default 1000) a page, resumed by an opaque `pageToken` bound to its prefix.
///   Items carry only name, size, updated and generation; `fields` is not interpreted.
/// - Faults on list requests (after authentication): `script[i]` for request *i*, then a
///   seeded draw from the rates; a page is served after `max_faults_in_row` faults in a row.
///
/// - Keyless signing (gcs_keyless.hpp):
///   - the GCE metadata server: `GET /computeMetadata/v1/instance/service-accounts/default/
///     token` (needs `Metadata-Flavor: Google`, else 403; issues a token as `/token` does) and
///     `.../default/email` (`client_email`), answering with `Metadata-Flavor: Google` unless
///     `metadata_without_flavor`;
///   - `POST /token` also takes `grant_type=refresh_token` with `refresh_token` (and any
///     non-empty client_id and client_secret): ADC user credentials;
///   - IAM Credentials `POST /v1/projects/-/serviceAccounts/{EMAIL}:signBlob`: needs a
///     bearer token as the list calls (else 401 UNAUTHENTICATED); `sign_script[i]` for signBlob
///     request *i* (429, 503, a 200 whose signedBlob is not base64, 401); then EMAIL =
///     `client_email` gets `{"keyId", "signedBlob": base64(RSASSA-PKCS1-v1_5-SHA256(payload))}`
///     with `key_pem`, an EMAIL starting "denied" 403 PERMISSION_DENIED, any other 404;
///     with `sign_deny_after` N > 0, request *i* >= N is refused 403 PERMISSION_DENIED (a
///     permission withdrawn mid-job);
///   - IAM Credentials `POST /v1/projects/-/serviceAccounts/{EMAIL}:generateAccessToken`
///     (`{"scope": [...], "lifetime": "Ns"}`, 1..3600 s, else 400): needs a token issued to
///     the caller (an impersonated token is refused 401, as a token IAM does not accept);
///     `generate_script[i]` for request *i*; EMAIL = `client_email` gets `{"accessToken",
///     "expireTime"}`, a token of that account that the listing accepts and IAM does not; "denied…"
///     403, any other 404. Pages served count as `pages_as_impersonated` or `pages_as_caller` by
///     the token that asked.
///   (IAM's part lives in fake_gcs_iam.cpp.)
///
/// Setup errors (bad PEM, port in use) throw std::runtime_error: this is test support.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace presign::test {

enum class GcsFault : std::uint8_t {
  kNone,
  kTooManyRequests429,  ///< 429 rateLimitExceeded
  kUnavailable503,      ///< 503 backendError
  kMalformed200,        ///< 200 with half a JSON page
  kUnauthorized401,     ///< 401 authError, as if the token had been revoked
};

struct FakeGcsOptions {
  std::uint16_t port = 0;
  std::string bucket = "bucket";
  std::vector<std::string> names;
  std::string key_pem;       ///< the service account's private key (its public half verifies)
  std::string client_email;  ///< the expected `iss`
  std::chrono::seconds token_ttl{3600};
  std::string static_token;  ///< when set, also accepted as a bearer token, never expiring

  std::vector<GcsFault> script;
  double rate_429 = 0;
  double rate_503 = 0;
  std::uint64_t seed = 1;
  std::uint32_t max_faults_in_row = 4;

  std::string refresh_token;  ///< accepted by the refresh-token grant (empty: refused)
  std::vector<GcsFault> sign_script;
  bool metadata_without_flavor = false;
  /// signBlob answers one fixed signature (of an empty payload) instead of signing each
  /// payload: the benchmark of the client's own cost (its URLs verify nothing).
  bool sign_blob_fixed = false;
  unsigned threads = 1;  ///< I/O threads (signBlob signs outside the lock)
  /// generateAccessToken request i gets `generate_script[i]` (429, 503, a 200 without its
  /// fields, 401) after the caller's token is checked.
  std::vector<GcsFault> generate_script;
  /// signBlob request i >= this (when > 0) is refused 403 PERMISSION_DENIED.
  std::uint64_t sign_deny_after = 0;
};

struct FakeGcsCounters {
  std::uint64_t token_requests = 0;
  std::uint64_t tokens_issued = 0;
  std::uint64_t token_rejected = 0;  ///< assertions refused (bad signature, claims, form)
  std::uint64_t list_requests = 0;
  std::uint64_t list_unauthorized = 0;  ///< 401 for a missing, unknown or expired token
  std::uint64_t pages_ok = 0;
  std::uint64_t names_served = 0;
  std::uint64_t faults_429 = 0;
  std::uint64_t faults_503 = 0;
  std::uint64_t faults_malformed = 0;
  std::uint64_t faults_401 = 0;
  std::uint64_t metadata_requests = 0;
  std::uint64_t refresh_grants = 0;  ///< tokens issued for a refresh token
  std::uint64_t sign_requests = 0;
  std::uint64_t signatures = 0;               ///< signBlob answered 200 with a signature
  std::uint64_t sign_unauthorized = 0;        ///< 401 for a missing, unknown or expired token
  std::uint64_t sign_faults = 0;              ///< sign_script faults served
  std::uint64_t sign_denied = 0;              ///< refused by sign_deny_after
  std::uint64_t generate_requests = 0;        ///< generateAccessToken calls
  std::uint64_t generate_unauthorized = 0;    ///< 401: not a token issued to the caller
  std::uint64_t access_tokens_generated = 0;  ///< impersonated tokens issued
  std::uint64_t pages_as_caller = 0;          ///< pages served to a caller's own token
  std::uint64_t pages_as_impersonated = 0;    ///< pages served to an impersonated token
  std::string last_rejection;  ///< why the last assertion was refused (for test messages)
};

class FakeGcsServer {
 public:
  explicit FakeGcsServer(FakeGcsOptions options);
  ~FakeGcsServer();
  FakeGcsServer(FakeGcsServer const&) = delete;
  FakeGcsServer& operator=(FakeGcsServer const&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// `http://127.0.0.1:<port>`.
  [[nodiscard]] std::string endpoint() const;
  /// `<endpoint>/token`: the `aud` the assertions must carry.
  [[nodiscard]] std::string token_url() const;
  [[nodiscard]] FakeGcsCounters counters() const;
  /// Forgets every issued token (the next list call with one gets 401).
  void revoke_tokens();
  void stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace presign::test
