#pragma once
/// The OAuth2 "JWT bearer" assertion of a Google service account (RFC 7523, Google's
/// "Using OAuth 2.0 for Server to Server Applications"), as testable stages:
///
///   header JSON  `{"alg":"RS256","typ":"JWT"[,"kid":"<private_key_id>"]}`
///   claims JSON  `{"iss":"<client_email>","scope":"<scope>","aud":"<token_uri>",
///                  "iat":<t>,"exp":<t+3600>}`
///   signing input  base64url(header) + "." + base64url(claims)   (no padding)
///   assertion      signing input + "." + base64url(RSASSA-PKCS1-v1_5 SHA-256 signature)
///
/// The assertion is POSTed (io/gcs_lister.hpp) as
/// `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=<JWT>` to the key
/// file's `token_uri` and traded for a short-lived access token.
///
/// `ServiceAccountKey` (gcs_v4.hpp) keeps only the e-mail and the private key; the token flow
/// also needs `token_uri` and `private_key_id`, which `parse_service_account_info` reads from
/// the same key file (auth/gcs_key_file.hpp reads the file). Nothing here prints or returns key
/// material; the assertion itself is a bearer credential for an hour and must never be logged
/// either.

#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace presign::signers::gcs::oauth {

/// Read-only access to object listings and data: all a lister needs.
inline constexpr std::string_view kReadOnlyScope =
    "https://www.googleapis.com/auth/devstorage.read_only";
/// Google's token endpoint, used when a key file has no `token_uri`.
inline constexpr std::string_view kDefaultTokenUri = "https://oauth2.googleapis.com/token";
/// Lifetime of an assertion (`exp - iat`); Google accepts at most one hour.
inline constexpr std::int64_t kAssertionLifetimeSeconds = 3600;
/// The `grant_type` of the token request, form-encoded.
inline constexpr std::string_view kJwtBearerGrantType =
    "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer";

/// The token-flow fields of a service-account key file besides the key itself.
struct ServiceAccountInfo {
  std::string client_email;
  std::string private_key_id;  ///< the JWT header's "kid"; empty when the file has none
  std::string token_uri;       ///< `http(s)://…`; kDefaultTokenUri when the file has none
};

/// Parses `client_email` (required), `private_key_id` and `token_uri` of a service-account
/// key file's JSON. `token_uri` must be an http:// or https:// URL without spaces or control
/// characters. Errors are kConfig, name `origin`, and never quote key material.
Result<ServiceAccountInfo> parse_service_account_info(std::string_view json,
                                                      std::string_view origin);

/// Base64url without padding (RFC 7515 §2 / RFC 4648 §5).
std::string base64url(std::span<std::uint8_t const> bytes);
std::string base64url(std::string_view bytes);

/// A JSON string literal (quotes included) for `s`: `"` `\` and control characters escaped,
/// everything else (UTF-8 included) as is.
std::string json_quote(std::string_view s);

/// The claims of one assertion.
struct JwtClaims {
  std::string iss;    ///< client_email
  std::string scope;  ///< space-separated scopes
  std::string aud;    ///< token_uri
  std::int64_t iat = 0;
  std::int64_t exp = 0;
};

/// Stage 1: the header JSON, exactly `{"alg":"RS256","typ":"JWT"}` or, with a key id,
/// `{"alg":"RS256","typ":"JWT","kid":"<kid>"}`.
std::string jwt_header_json(std::string_view kid);

/// Stage 2: the claims JSON, members in the order iss, scope, aud, iat, exp.
std::string jwt_claims_json(JwtClaims const& claims);

/// The claims for `info` at time `now`: exp = iat + kAssertionLifetimeSeconds.
JwtClaims make_claims(ServiceAccountInfo const& info, SigningTime now,
                      std::string_view scope = kReadOnlyScope);

/// Stage 3: `base64url(header_json) + "." + base64url(claims_json)`.
std::string jwt_signing_input(std::string_view header_json, std::string_view claims_json);

/// Stage 4: the complete assertion for `info` at `now`, signed with `key`. kConfig when the
/// key's e-mail differs from `info.client_email`; kInternal when OpenSSL refuses to sign.
Result<std::string> make_assertion(ServiceAccountKey const& key, ServiceAccountInfo const& info,
                                   SigningTime now, std::string_view scope = kReadOnlyScope);

/// The form body of the token request for `assertion` (a JWT is already URL-safe).
std::string token_request_body(std::string_view assertion);

}  // namespace presign::signers::gcs::oauth
