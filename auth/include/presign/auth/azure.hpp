#pragma once
/// Where Azure credentials come from: AZURE_STORAGE_CONNECTION_STRING, else AZURE_STORAGE_KEY
/// with the account from AZURE_STORAGE_ACCOUNT or the URI (resolve_credentials,
/// azure_connection_string.hpp): an account key, `AccountCredentials`. Without either, an Entra
/// ID token from DefaultAzureCredential's chain (azure_entra.hpp): an `OAuthToken`, with
/// `Credentials::expires` the token's end (the provider turns it into a user delegation key).

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"

#include <string>

namespace presign::auth::azure {

class EnvironmentSource final : public CredentialSource {
 public:
  /// `account`: the storage account the URI names (the credentials must be for it).
  EnvironmentSource(std::string account, EnvLookup env);
  [[nodiscard]] Result<Credentials> fetch() const override;
  [[nodiscard]] std::string describe() const override;

 private:
  std::string account_;
  EnvLookup env_;
};

}  // namespace presign::auth::azure
