#include "presign/auth/gcs.hpp"

#include "presign/auth/gcs_key_file.hpp"

#include <utility>
#include <variant>

namespace presign::auth::gcs {

namespace sg = signers::gcs;

DefaultChain::DefaultChain(std::string key_file, std::string access_token, bool listing_only,
                           EnvLookup env)
    : key_file_(std::move(key_file)),
      access_token_(std::move(access_token)),
      listing_only_(listing_only),
      env_(std::move(env)) {}

std::string DefaultChain::describe() const {
  std::string d =
      "--credentials FILE, GCS_HMAC_ACCESS_ID/GCS_HMAC_SECRET, "
      "GOOGLE_APPLICATION_CREDENTIALS";
  if (listing_only_) d = "--access-token, " + std::string(kEnvOauthAccessToken) + ", " + d;
  return d;
}

Result<Credentials> DefaultChain::fetch() const {
  std::optional<OAuthToken> token;
  std::string token_origin;
  if (!access_token_.empty()) {
    token = OAuthToken{access_token_};
    token_origin = "--access-token";
  } else if (auto t = env_(kEnvOauthAccessToken)) {
    token = OAuthToken{std::move(*t)};
    token_origin = kEnvOauthAccessToken;
  }
  if (listing_only_ && token) {
    Credentials c{*token, token_origin};
    c.listing_token = std::move(token);
    c.listing_token_origin = std::move(token_origin);
    return c;
  }
  auto key = resolve_credentials(key_file_, env_);
  if (!key) {
    Error e = key.error();
    if (listing_only_ && key_file_.empty()) {
      e.detail += "; to list a bucket, an OAuth2 access token (--access-token or " +
                  std::string(kEnvOauthAccessToken) + ") also works";
    }
    return e;
  }
  Credentials c;
  if (auto* hmac = std::get_if<sg::HmacKey>(&*key)) {
    c.secret = std::move(*hmac);
    c.origin = key_file_.empty() ? "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET" : key_file_;
    if (!key_file_.empty()) c.key_file = key_file_;
  } else {
    // A service-account key came from --credentials or GOOGLE_APPLICATION_CREDENTIALS (the
    // HMAC variables yield an HmacKey).
    c.secret = std::get<sg::ServiceAccountKey>(std::move(*key));
    c.key_file = key_file_;
    if (c.key_file.empty()) {
      if (auto p = env_(kEnvApplicationCredentials)) c.key_file = std::move(*p);
    }
    c.origin = c.key_file;
  }
  c.listing_token = std::move(token);
  c.listing_token_origin = std::move(token_origin);
  return c;
}

}  // namespace presign::auth::gcs
