#pragma once
/// Where GCS credentials come from: --credentials FILE (a service-account JSON key or an HMAC
/// key file), else GCS_HMAC_ACCESS_ID + GCS_HMAC_SECRET, else GOOGLE_APPLICATION_CREDENTIALS
/// (resolve_credentials, gcs_key_file.hpp). Listing can also use an OAuth2 access token
/// (--access-token, else GOOGLE_OAUTH_ACCESS_TOKEN); then no key is needed to list.

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"

#include <string>

namespace presign::auth::gcs {

inline constexpr char kEnvOauthAccessToken[] = "GOOGLE_OAUTH_ACCESS_TOKEN";

class DefaultChain final : public CredentialSource {
 public:
  /// `key_file`: --credentials (empty: look in the environment). `access_token`:
  /// --access-token (empty: GOOGLE_OAUTH_ACCESS_TOKEN). With `listing_only`, a token alone is
  /// enough (the credentials are then the token); otherwise a key is required and a token, if
  /// any, is kept as `Credentials::listing_token`.
  DefaultChain(std::string key_file, std::string access_token, bool listing_only, EnvLookup env);
  [[nodiscard]] Result<Credentials> fetch() const override;
  [[nodiscard]] std::string describe() const override;

 private:
  std::string key_file_;
  std::string access_token_;
  bool listing_only_;
  EnvLookup env_;
};

}  // namespace presign::auth::gcs
