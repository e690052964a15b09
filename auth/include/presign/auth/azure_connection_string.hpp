#pragma once
/// Azure Storage account credentials as the user gives them: a connection string
/// (AZURE_STORAGE_CONNECTION_STRING) or the key variables. Parsing user input lives here, in
/// auth, so the SAS and Shared Key signers (signers/azure_sas.hpp, azure_shared_key.hpp) take
/// only the account name and its key.

#include "presign/auth/env.hpp"
#include "presign/core/error.hpp"

#include <string>
#include <string_view>

namespace presign::auth::azure {

/// An account and its key, as found in the environment or a connection string.
struct AccountCredentials {
  std::string account;
  std::string account_key;    ///< base64 (secret)
  std::string blob_endpoint;  ///< "" unless the connection string gives or implies one
  std::string origin;         ///< where they came from, for messages (never the values)
};

/// Parses an Azure Storage connection string (`Key=Value;...`, names case-insensitive, values
/// split at the first '='): AccountName and AccountKey are required; the blob endpoint is
/// BlobEndpoint, else DefaultEndpointsProtocol (default https) + "://" + AccountName +
/// ".blob." + EndpointSuffix (default core.windows.net) when either of those two is given,
/// else "". `UseDevelopmentStorage=true` (with at most `DevelopmentStorageProxyUri=URI` beside
/// it) means the storage emulator: account devstoreaccount1, its well-known key and the blob
/// endpoint `http://127.0.0.1:10000/devstoreaccount1` (with a proxy URI: its scheme and host,
/// port 10000), as the SDKs read it. A SharedAccessSignature-only string is refused (it cannot sign
/// new SASs). Errors are kConfig and never quote the string.
Result<AccountCredentials> parse_connection_string(std::string_view text);

/// AZURE_STORAGE_CONNECTION_STRING if set; else AZURE_STORAGE_KEY, with the account from
/// AZURE_STORAGE_ACCOUNT or else `uri_account`. When the credentials name an account, it must
/// be `uri_account`. Errors (kConfig) say what was looked for; keys are never echoed, and a
/// key that is not base64 is reported as such.
Result<AccountCredentials> resolve_credentials(EnvLookup const& env, std::string_view uri_account);

}  // namespace presign::auth::azure
