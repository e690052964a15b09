#pragma once
/// Where GCS credentials come from: --credentials FILE (a service-account JSON key or an HMAC
/// key file), else GCS_HMAC_ACCESS_ID + GCS_HMAC_SECRET, else GOOGLE_APPLICATION_CREDENTIALS
/// (resolve_credentials, gcs_key_file.hpp). Listing can also use an OAuth2 access token
/// (--access-token, else GOOGLE_OAUTH_ACCESS_TOKEN); then no key is needed to list.
///
/// Keyless (`Credentials::secret` a `GcsKeyless`; URLs signed through IAM signBlob, as
/// `gcloud storage sign-url` does without a key):
///   - a credentials file (--credentials, GOOGLE_APPLICATION_CREDENTIALS, else gcloud's ADC file
///     `$CLOUDSDK_CONFIG/application_default_credentials.json`, default
///     `~/.config/gcloud/`) of type "authorized_user": the user's tokens, which sign only as
///     --impersonate-service-account EMAIL (and list as they are);
///   - with no credentials at all: the metadata server at GCE_METADATA_HOST, or on a GCE/GKE
///     machine (its DMI product name says Google, as google-auth checks) at 169.254.169.254;
///     it signs as --impersonate-service-account, else as the instance's default account
///     (asked from the metadata server when signing);
///   - a service-account key with --impersonate-service-account: the key's tokens sign as
///     EMAIL. Without the flag a key signs locally, as always.

#include "presign/auth/credentials.hpp"
#include "presign/auth/env.hpp"

#include <optional>
#include <string>

namespace presign::auth::gcs {

inline constexpr char kEnvOauthAccessToken[] = "GOOGLE_OAUTH_ACCESS_TOKEN";
inline constexpr char kEnvGceMetadataHost[] = "GCE_METADATA_HOST";
inline constexpr char kEnvCloudsdkConfig[] = "CLOUDSDK_CONFIG";

/// gcloud's ADC file: `$CLOUDSDK_CONFIG/application_default_credentials.json`, else
/// `$HOME/.config/gcloud/...`; empty when neither variable is set.
std::string adc_well_known_file(EnvLookup const& env);

class DefaultChain final : public CredentialSource {
 public:
  /// `key_file`: --credentials (empty: look in the environment). `access_token`:
  /// --access-token (empty: GOOGLE_OAUTH_ACCESS_TOKEN). With `listing_only`, a token alone is
  /// enough (the credentials are then the token); otherwise a key is required and a token, if
  /// any, is kept as `Credentials::listing_token`.
  /// `impersonate`: --impersonate-service-account (empty: none).
  DefaultChain(std::string key_file, std::string access_token, bool listing_only, EnvLookup env,
               std::string impersonate = {});
  [[nodiscard]] Result<Credentials> fetch() const override;
  [[nodiscard]] std::string describe() const override;

 private:
  std::string key_file_;
  std::string access_token_;
  [[nodiscard]] Result<Credentials> keyless(GcsKeyless k, std::string origin) const;
  [[nodiscard]] Result<Credentials> from_metadata_server(std::string host,
                                                         std::string origin) const;

  [[nodiscard]] Result<Credentials> from_key(signers::gcs::Credentials key, std::string const& file,
                                             std::optional<OAuthToken> token,
                                             std::string token_origin) const;

  bool listing_only_;
  EnvLookup env_;
  std::string impersonate_;
};

}  // namespace presign::auth::gcs
