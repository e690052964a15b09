#include "presign/auth/azure.hpp"

#include "presign/auth/azure_connection_string.hpp"
#include "presign/auth/azure_entra.hpp"

#include <utility>

namespace presign::auth::azure {

EnvironmentSource::EnvironmentSource(std::string account, EnvLookup env)
    : account_(std::move(account)), env_(std::move(env)) {}

std::string EnvironmentSource::describe() const {
  return "AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY (with AZURE_STORAGE_ACCOUNT "
         "or the URI's account), else " +
         describe_entra_chain();
}

Result<Credentials> EnvironmentSource::fetch() const {
  // An account key when one is configured (a service SAS, as before); else Entra ID.
  if (env_("AZURE_STORAGE_CONNECTION_STRING") || env_("AZURE_STORAGE_KEY")) {
    auto creds = resolve_credentials(env_, account_);
    if (!creds) return creds.error();
    std::string origin = creds->origin;
    return Credentials{std::move(*creds), std::move(origin)};
  }
  std::string const none =
      "no Azure credentials for storage account '" + account_ +
      "': set AZURE_STORAGE_CONNECTION_STRING (with AccountName and AccountKey), or "
      "AZURE_STORAGE_KEY (and optionally AZURE_STORAGE_ACCOUNT), or use " +
      describe_entra_chain();
  auto source = default_entra_source(env_);
  if (!source)
    return make_error(ErrorKind::kConfig, none + " (AZURE_TOKEN_CREDENTIALS excludes them)");
  auto token = source->fetch();
  if (!token) {
    // Nothing was configured and the last resort, IMDS, is not there: say everything that
    // was looked for, then what IMDS answered.
    bool const only_imds = !env_("AZURE_CLIENT_ID") && !env_("AZURE_TENANT_ID") &&
                           !env_("IDENTITY_ENDPOINT") && !env_("AZURE_FEDERATED_TOKEN_FILE") &&
                           token.error().http_status == 0;
    if (only_imds) {
      Error e = token.error();
      e.detail = none + "; " + e.detail;
      return e;
    }
    return token.error();
  }
  Credentials c{OAuthToken{std::move(token->token)}, token->origin};
  c.expires = token->expires;
  return c;
}

}  // namespace presign::auth::azure
