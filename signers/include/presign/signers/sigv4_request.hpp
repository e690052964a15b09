#pragma once
/// SigV4 header authentication of one HTTP request (the `Authorization` header form), built
/// from the staged functions of sigv4.hpp: canonical request → string to sign → signature.
///
/// Used by the S3 lister (ListObjectsV2 GET) and by anything else that calls an AWS-style API
/// with header auth. The presigned-URL hot path stays in `S3Presigner`; this one allocates and
/// is meant for one request per page, not per object.
///
/// What is added to the request, in this order (aws-c-auth's order):
///   `X-Amz-Security-Token` (when the credentials carry a session token),
///   `X-Amz-Date`, `x-amz-content-sha256` (when `content_sha256_header`), `Authorization`.
/// Every one of them except `Authorization` is signed, except the session token when
/// `sign_session_token` is false (aws-c-auth's `omit_session_token`: appended after signing).
///
/// Secrets: the secret key never leaves `derive_signing_key`. Errors say which input was
/// wrong, never its value. The returned `Authorization` value holds the signature (a
/// credential for the request's lifetime): never log it.

#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/crypto.hpp"
#include "presign/signers/sigv4.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presign::signers::sigv4 {

struct HeaderSigningOptions {
  std::string region;   ///< e.g. "us-east-1"
  std::string service;  ///< "s3", or the suite's literal "service"
  /// S3 signs the path as given; generic services normalise it.
  PathOptions path{.normalize = false};
  /// Send and sign `x-amz-content-sha256: <payload_hash>` (S3 requires it on every request;
  /// generic services only when the body is signed).
  bool content_sha256_header = true;
  /// false: the session token header is added after signing, outside the signature.
  bool sign_session_token = true;
};

/// The headers to add to the request, plus the stage outputs (for tests and debugging).
struct SignedHeaders {
  /// In the order listed in the file comment; names as AWS writes them.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  ///< "host;x-amz-content-sha256;x-amz-date"
  std::string signature;       ///< hex; secret-derived, do not log

  /// The value of header `name` (case-insensitive) among `headers`, or an empty view.
  [[nodiscard]] std::string_view get(std::string_view name) const noexcept;
};

/// Signs `request` as of `when`. `request.headers` must hold `host` (exactly the value that
/// will be sent, port included when it is not the scheme's default) and must not already hold
/// any header this function adds. `request.payload_hash` is the hex SHA-256 of the body (or
/// "UNSIGNED-PAYLOAD"). Errors: kConfig for empty credentials, kUsage for a malformed request
/// (no host, a header this adds already present, a header name or value with CR/LF, an empty
/// payload hash, region or service).
Result<SignedHeaders> sign_request_headers(HttpRequestParts const& request,
                                           Credentials const& credentials,
                                           HeaderSigningOptions const& options, SigningTime when);

/// Hex SHA-256 of `body` (the payload hash of a request with that body).
std::string payload_sha256_hex(std::string_view body);

/// SHA-256 of the empty body, the payload hash of every GET.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Signs many requests with one set of credentials: caches the derived signing key for the
/// current day (one HMAC chain per day instead of per request). Not thread-safe; give each
/// listing thread its own.
class RequestSigner {
 public:
  RequestSigner(Credentials credentials, HeaderSigningOptions options);

  Result<SignedHeaders> sign(HttpRequestParts const& request, SigningTime when);

  [[nodiscard]] std::string const& access_key_id() const noexcept {
    return credentials_.access_key_id;
  }
  [[nodiscard]] HeaderSigningOptions const& options() const noexcept { return options_; }

 private:
  Credentials credentials_;
  HeaderSigningOptions options_;
  std::string key_day_;  // YYYYMMDD the cached key is for; empty: none yet
  crypto::Digest key_{};
};

}  // namespace presign::signers::sigv4
