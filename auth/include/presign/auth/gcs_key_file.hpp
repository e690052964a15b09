#pragma once
/// GCS credentials as the user gives them: service-account and HMAC key files (JSON), the
/// HMAC variables and GOOGLE_APPLICATION_CREDENTIALS. Parsing user input lives here, in auth,
/// so the signers (signers/gcs_v4.hpp, gcs_oauth.hpp) take only parsed keys: an e-mail and a
/// PEM private key (`ServiceAccountKey::from_pem`), or an HMAC access id and secret. Nothing
/// here logs a secret or puts one in an error message.

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/signers/gcs_oauth.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace presign::auth::gcs {

/// Parses a credentials JSON document by its "type":
///   - "service_account": a service-account key file as the Cloud console downloads it
///     (`client_email` and `private_key`, a PEM PKCS#8 or PKCS#1 RSA key of 1,024-4,096 bits);
///   - "hmac_key": `{"type": "hmac_key", "access_id": "GOOG1E...", "secret": "..."}`.
/// Other types (e.g. "authorized_user" from `gcloud auth application-default login`) cannot
/// sign URLs and are refused with a message saying so. `origin` names the source in error
/// messages (e.g. the file path); errors are kConfig and never quote key material.
Result<signers::gcs::Credentials> parse_credentials_json(std::string_view json,
                                                         std::string_view origin);

/// Reads `path` (at most 1 MiB) and parses it with `parse_credentials_json`.
Result<signers::gcs::Credentials> load_credentials_file(std::string const& path);

/// Reads the credentials file `path` (at most 1 MiB) and calls `use` with its text, which is
/// wiped afterwards (it holds a private key). kConfig naming the path when it cannot be read
/// or is larger; `use` is then not called. Shared by every reader of key files.
Result<void> read_credentials_file(std::string const& path,
                                   std::function<void(std::string_view text)> const& use);

/// Reads `path` (at most 1 MiB) and parses its token-flow fields with
/// `signers::gcs::oauth::parse_service_account_info`.
Result<signers::gcs::oauth::ServiceAccountInfo> load_service_account_info(std::string const& path);

/// The "type" of a credentials JSON document ("service_account", "hmac_key",
/// "authorized_user", ...), empty when it is not a JSON object with a "type" string.
std::string credentials_type(std::string_view json);

/// ADC user credentials, as `gcloud auth application-default login` writes them:
/// `{"type": "authorized_user", "client_id", "client_secret", "refresh_token"}` and an optional
/// `token_uri` (google-auth's default https://oauth2.googleapis.com/token when absent; tests
/// point it at 127.0.0.1). The token source of a `GcsKeyless` (kAuthorizedUser, `sign_as`
/// empty). kConfig naming `origin` and the missing field, never a value.
Result<GcsKeyless> parse_authorized_user(std::string_view json, std::string_view origin);

/// Environment variables of the credential chain.
inline constexpr char kEnvHmacAccessId[] = "GCS_HMAC_ACCESS_ID";
inline constexpr char kEnvHmacSecret[] = "GCS_HMAC_SECRET";
inline constexpr char kEnvApplicationCredentials[] = "GOOGLE_APPLICATION_CREDENTIALS";

/// The credential chain of `presign sign gs://...`, first match wins:
///   1. `explicit_file` (`--credentials FILE`) when non-empty;
///   2. `GCS_HMAC_ACCESS_ID` + `GCS_HMAC_SECRET` (both, or an error naming the missing one);
///   3. `GOOGLE_APPLICATION_CREDENTIALS` (a key file, as for 1).
/// With none of them, a kConfig error lists everything that was looked for.
Result<signers::gcs::Credentials> resolve_credentials(std::string const& explicit_file,
                                                      EnvLookup const& env);

}  // namespace presign::auth::gcs
