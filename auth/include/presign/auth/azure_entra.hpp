#pragma once
/// Entra ID (Azure AD) access tokens for Azure Storage, found as azure-identity's
/// DefaultAzureCredential finds them, minus its developer-tool credentials (Azure CLI,
/// PowerShell, ...): in this order, the first source whose variables are set is used, and its
/// failure is the answer (the chain does not go on, as ChainedTokenCredential does not after an
/// authentication error):
///   1. client secret: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET → POST
///      {authority}/{tenant}/oauth2/v2.0/token, grant_type=client_credentials
///      (EnvironmentCredential);
///   2. workload identity: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE → the
///      same endpoint with the file's JWT as client_assertion (jwt-bearer assertion type), the
///      file read again at every fetch (Kubernetes rotates it);
///   3. managed identity (AZURE_CLIENT_ID, when set, names a user-assigned identity): App
///      Service style when IDENTITY_ENDPOINT and IDENTITY_HEADER are set (GET, api-version
///      2019-08-01, header X-IDENTITY-HEADER), else IMDS: GET
///      http://169.254.169.254/metadata/identity/oauth2/token (api-version 2018-02-01, header
///      `Metadata: true`), the host replaced by AZURE_POD_IDENTITY_AUTHORITY_HOST when set.
///      IMDS is probed with a 1 s connection timeout, as DefaultAzureCredential's probe is
///      short: a machine without it fails fast.
/// {authority} is AZURE_AUTHORITY_HOST (default `kPublicAuthorityHost`), https only unless it
/// is a loopback address (tests). AZURE_TOKEN_CREDENTIALS, as in azure-identity, narrows the
/// chain: "prod" (all three), "EnvironmentCredential", "WorkloadIdentityCredential",
/// "ManagedIdentityCredential"; "dev" leaves none of these.
///
/// Scope `https://storage.azure.com/.default` (managed identity: the resource
/// `https://storage.azure.com`). Errors are kConfig (not set up, unreachable, unusable
/// answer) or kAuth (refused), name the source and the variables it read, and never contain
/// a secret, an assertion or a token (only the endpoint's `error` code and HTTP status).

#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace presign::auth::azure {

inline constexpr std::string_view kPublicAuthorityHost = "https://login.microsoftonline.com";
inline constexpr std::string_view kStorageScope = "https://storage.azure.com/.default";
inline constexpr std::string_view kStorageResource = "https://storage.azure.com";
inline constexpr std::string_view kImdsHost = "http://169.254.169.254";

/// An access token and when it stops working.
struct EntraToken {
  std::string token;    ///< secret
  SigningTime expires;  ///< from expires_on, else now + expires_in
  std::string origin;   ///< the source, for messages ("AZURE_CLIENT_SECRET (client secret)")
};

/// One way of getting tokens; `fetch` may be called again for a fresh token.
class EntraTokenSource {
 public:
  virtual ~EntraTokenSource() = default;
  [[nodiscard]] virtual Result<EntraToken> fetch() const = 0;
  /// What it is and which variables it reads, for messages.
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// The first source of the chain above whose variables are set (managed identity always is,
/// unless AZURE_TOKEN_CREDENTIALS excludes it); nullptr when none applies. Reads only
/// variables; makes no request. `env` is copied (a listing refetches through it).
std::unique_ptr<EntraTokenSource> default_entra_source(EnvLookup env);

/// What the chain looks at, for the "no credentials" message.
std::string describe_entra_chain();

/// Reads a token endpoint's JSON answer: access_token, and expires_on (seconds since the
/// epoch, a number or a string of digits) or else expires_in (seconds, number or string)
/// added to `now`. kConfig naming `origin` otherwise; never quotes the document.
Result<EntraToken> parse_token_response(std::string_view json, SigningTime now,
                                        std::string const& origin);

}  // namespace presign::auth::azure
