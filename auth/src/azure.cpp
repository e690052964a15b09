#include "presign/auth/azure.hpp"

#include "presign/auth/azure_connection_string.hpp"

#include <utility>

namespace presign::auth::azure {

EnvironmentSource::EnvironmentSource(std::string account, EnvLookup env)
    : account_(std::move(account)), env_(std::move(env)) {}

std::string EnvironmentSource::describe() const {
  return "AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY (with AZURE_STORAGE_ACCOUNT "
         "or the URI's account)";
}

Result<Credentials> EnvironmentSource::fetch() const {
  auto creds = resolve_credentials(env_, account_);
  if (!creds) return creds.error();
  std::string origin = creds->origin;
  return Credentials{std::move(*creds), std::move(origin)};
}

}  // namespace presign::auth::azure
