#include "presign/auth/gcs.hpp"

#include "presign/auth/gcs_key_file.hpp"
#include "presign/io/gcs_keyless.hpp"

#include <fstream>
#include <string_view>
#include <sys/stat.h>
#include <utility>
#include <variant>

namespace presign::auth::gcs {

namespace sg = signers::gcs;

namespace {

constexpr std::string_view kAdcLogin = "gcloud auth application-default login";

// google-auth's residency check on Linux: the DMI product name of GCE (and GKE nodes).
bool on_google_compute_engine() {
  std::ifstream in("/sys/class/dmi/id/product_name");
  std::string name;
  std::getline(in, name);
  return name.starts_with("Google");
}

bool is_file(std::string const& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string adc_well_known_file(EnvLookup const& env) {
  if (auto dir = env(kEnvCloudsdkConfig)) return *dir + "/application_default_credentials.json";
  if (auto home = env("HOME")) {
    return *home + "/.config/gcloud/application_default_credentials.json";
  }
  return {};
}

DefaultChain::DefaultChain(std::string key_file, std::string access_token, bool listing_only,
                           EnvLookup env, std::string impersonate)
    : key_file_(std::move(key_file)),
      access_token_(std::move(access_token)),
      listing_only_(listing_only),
      env_(std::move(env)),
      impersonate_(std::move(impersonate)) {}

std::string DefaultChain::describe() const {
  std::string d =
      "--credentials FILE, GCS_HMAC_ACCESS_ID/GCS_HMAC_SECRET, "
      "GOOGLE_APPLICATION_CREDENTIALS, gcloud's application_default_credentials.json, "
      "GCE_METADATA_HOST (the metadata server)";
  if (listing_only_) d = "--access-token, " + std::string(kEnvOauthAccessToken) + ", " + d;
  return d;
}

// A keyless source found: checks what signing needs (an account to sign as).
Result<Credentials> DefaultChain::keyless(GcsKeyless k, std::string origin) const {
  if (!impersonate_.empty()) {
    k.sign_as = impersonate_;
    k.impersonated = true;
  }
  if (k.sign_as.empty() && !listing_only_) {
    return make_error(ErrorKind::kConfig,
                      "the user credentials of " + origin +
                          " cannot sign URLs themselves (a user has no signing key): pass "
                          "--impersonate-service-account EMAIL to sign as a service account "
                          "through IAM signBlob, or use a service-account key file");
  }
  Credentials c{std::move(k), std::move(origin)};
  return c;
}

Result<Credentials> DefaultChain::from_metadata_server(std::string host, std::string origin) const {
  GcsKeyless k;
  k.source = GcsKeyless::TokenSource::kMetadataServer;
  k.metadata_host = std::move(host);
  k.sign_as = impersonate_;
  k.impersonated = !impersonate_.empty();
  if (k.sign_as.empty() && !listing_only_) {
    // The instance's default service account signs, as gcloud does on GCE.
    io::MetadataTokenConfig cfg;
    cfg.host = k.metadata_host;
    cfg.http.connect_timeout = std::chrono::seconds(3);
    cfg.retry.max_attempts = 3;
    cfg.retry.base_delay = std::chrono::milliseconds(200);
    auto email = io::fetch_metadata_email(cfg);
    if (!email) {
      Error e = email.error();
      if (e.kind != ErrorKind::kConfig) e.kind = ErrorKind::kAuth;
      e.detail = "no default service account to sign as (" + origin + "): " + e.detail;
      return e;
    }
    k.sign_as = std::move(*email);
  }
  return Credentials{std::move(k), std::move(origin)};
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
  // User credentials (ADC "authorized_user") where a key file may be: keyless.
  auto user_file = [&](std::string const& path) -> std::optional<Result<Credentials>> {
    std::string type;
    if (!read_credentials_file(path,
                               [&](std::string_view text) { type = credentials_type(text); })) {
      return std::nullopt;  // unreadable: the key-file chain says so
    }
    if (type != "authorized_user") return std::nullopt;
    Result<GcsKeyless> k = make_error(ErrorKind::kConfig, "");
    if (auto r = read_credentials_file(path,
                                       [&](std::string_view text) {
                                         k = parse_authorized_user(text,
                                                                   "credentials file " + path);
                                       });
        !r) {
      return Result<Credentials>(r.error());
    }
    if (!k) return Result<Credentials>(k.error());
    return keyless(std::move(*k), path);
  };
  bool const hmac_env = env_(kEnvHmacAccessId) || env_(kEnvHmacSecret);
  if (!key_file_.empty()) {
    if (auto c = user_file(key_file_)) return std::move(*c);
  } else if (!hmac_env) {
    if (auto gac = env_(kEnvApplicationCredentials)) {
      if (auto c = user_file(*gac)) return std::move(*c);
    } else {
      // Nothing named: gcloud's ADC file, then the metadata server.
      std::string const adc = adc_well_known_file(env_);
      if (is_file(adc)) {
        if (auto c = user_file(adc)) return std::move(*c);
        auto key = load_credentials_file(adc);
        if (!key) return key.error();
        return from_key(std::move(*key), adc, std::move(token), std::move(token_origin));
      } else if (auto host = env_(kEnvGceMetadataHost)) {
        return from_metadata_server(*host, std::string(kEnvGceMetadataHost) + "=" + *host);
      } else if (on_google_compute_engine()) {
        return from_metadata_server(io::kGceMetadataDefaultHost, "the GCE metadata server");
      }
    }
  }
  auto key = resolve_credentials(key_file_, env_);
  if (!key) {
    Error e = key.error();
    if (key_file_.empty() && !hmac_env && !env_(kEnvApplicationCredentials)) {
      e.detail += "; nor gcloud's application_default_credentials.json (" + std::string(kAdcLogin) +
                  ") or a metadata server (" + kEnvGceMetadataHost + ")";
    }
    if (listing_only_ && key_file_.empty()) {
      e.detail += "; to list a bucket, an OAuth2 access token (--access-token or " +
                  std::string(kEnvOauthAccessToken) + ") also works";
    }
    return e;
  }
  std::string file = key_file_;
  if (file.empty() && !std::holds_alternative<sg::HmacKey>(*key)) {
    // A service-account key came from GOOGLE_APPLICATION_CREDENTIALS (the HMAC variables
    // yield an HmacKey).
    if (auto p = env_(kEnvApplicationCredentials)) file = std::move(*p);
  }
  return from_key(std::move(*key), file, std::move(token), std::move(token_origin));
}

Result<Credentials> DefaultChain::from_key(sg::Credentials key, std::string const& file,
                                           std::optional<OAuthToken> token,
                                           std::string token_origin) const {
  Credentials c;
  if (auto* hmac = std::get_if<sg::HmacKey>(&key)) {
    if (!impersonate_.empty()) {
      return make_error(ErrorKind::kUsage,
                        "--impersonate-service-account needs OAuth credentials (a "
                        "service-account key, user credentials or a metadata server), not an "
                        "HMAC key");
    }
    c.secret = std::move(*hmac);
    c.origin = file.empty() ? "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET" : file;
    c.key_file = file;
  } else {
    c.key_file = file;
    c.origin = file;
    auto& sa = std::get<sg::ServiceAccountKey>(key);
    if (!impersonate_.empty()) {
      // The key's own tokens sign as another account through signBlob.
      GcsKeyless k;
      k.source = GcsKeyless::TokenSource::kServiceAccountKey;
      k.key = std::move(sa);
      k.sign_as = impersonate_;
      k.impersonated = true;
      c.secret = std::move(k);
    } else {
      c.secret = std::move(sa);
    }
  }
  c.listing_token = std::move(token);
  c.listing_token_origin = std::move(token_origin);
  return c;
}

}  // namespace presign::auth::gcs
