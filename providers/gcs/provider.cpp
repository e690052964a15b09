// gs://BUCKET[/PREFIX]: GCS V4 signed URLs (service-account keys → GOOG4-RSA-SHA256, HMAC keys
// → GOOG4-HMAC-SHA256, signers/gcs_v4.hpp) and listing: a service-account key or an OAuth2
// access token lists through the JSON API (io/gcs_lister.hpp), an HMAC key through the
// S3-compatible XML API (hmac_lister.cpp). Settings are validated, then the expiry, then the
// credentials are looked up, so a usage error is reported as such without credentials.
#include "presign/auth/gcs.hpp"
#include "presign/auth/gcs_key_file.hpp"
#include "presign/io/gcs_lister.hpp"
#include "presign/signers/gcs_oauth.hpp"
#include "presign/signers/gcs_v4.hpp"

#include "../src/common.hpp"
#include "hmac_lister.hpp"
#include "keyless.hpp"

#include <utility>
#include <variant>

namespace presign::providers::detail {
namespace {

namespace gcs = signers::gcs;

class GcsProvider final : public Provider {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "gs"; }
  [[nodiscard]] std::uint32_t max_page_size() const noexcept override { return 1000; }

  [[nodiscard]] Result<void> check_sign(BucketUri const& uri,
                                        SignSettings const& s) const override {
    if (auto r = refuse_sas_settings("gs", s, {"--region", !s.region.empty()}); !r) return r;
    if (auto r = refuse_settings("gs", {{"--profile", !s.profile.empty()}}); !r) return r;
    if (s.expires_seconds < 1 || s.expires_seconds > gcs::kMaxExpiresSeconds) {
      return usage("--expires " + s.expires_text +
                   " is out of range: GCS V4 signed URLs live 1 to 604800 seconds (7 days)");
    }
    // The signer's own checks of bucket, method and endpoint, without credentials.
    return gcs::validate_config_except_key(config(uri, s));
  }

  [[nodiscard]] std::unique_ptr<auth::CredentialSource> credential_source(
      BucketUri const&, CredentialSettings const& s, EnvLookup const& env) const override {
    return std::make_unique<auth::gcs::DefaultChain>(
        s.credentials_file, s.access_token, s.listing_only, env, s.impersonate_service_account);
  }

  [[nodiscard]] Result<SignerSetup> make_signer(BucketUri const& uri, SignSettings const& s,
                                                auth::Credentials const& creds,
                                                EnvLookup const& env) const override {
    if (auto r = check_sign(uri, s); !r) return r.error();
    gcs::GcsPresignConfig cfg = config(uri, s);
    if (auto const* key = std::get_if<gcs::ServiceAccountKey>(&creds.secret)) {
      cfg.credentials = *key;
    } else if (auto const* hmac = std::get_if<gcs::HmacKey>(&creds.secret)) {
      cfg.credentials = *hmac;
    } else if (std::holds_alternative<auth::GcsKeyless>(creds.secret)) {
      // Keyless: IAM signBlob signs each string to sign (keyless.hpp).
      auto signer = make_keyless_signer(std::move(cfg), creds, env);
      if (!signer) return signer.error();
      SigningTime const expires_at = signer->expires_at();
      return SignerSetup{std::move(*signer), expires_at, {}};
    } else {
      return wrong_credentials("gs", creds);
    }
    auto signer = gcs::GcsPresigner::create(std::move(cfg));
    if (!signer) return signer.error();
    SigningTime const expires_at = signer->expires_at();
    return SignerSetup{std::move(*signer), expires_at, {}};
  }

  [[nodiscard]] Result<void> check_list(BucketUri const& uri, ListSettings const& s,
                                        EnvLookup const&) const override {
    if (auto r = refuse_settings(
            "gs", {{"--region", !s.region.empty()}, {"--profile", !s.profile.empty()}});
        !r) {
      return r;
    }
    if (auto r = check_common_list(*this, s, /*has_start_after=*/false); !r) return r;
    if (s.addressing != "auto" && s.addressing != "path" && s.addressing != "virtual" &&
        !s.addressing.empty()) {
      return usage("--addressing must be auto, virtual or path, not '" + s.addressing + "'");
    }
    // Bucket and endpoint, so a usage error is reported as such without credentials.
    if (auto b = io::gcs_list_base_url(lister_config(uri, s)); !b) return b.error();
    return {};
  }

  // An access token (--access-token, else GOOGLE_OAUTH_ACCESS_TOKEN) lists through the JSON
  // API without any key; a service-account key through the JSON API with OAuth2 tokens it
  // mints; an HMAC key through the S3-compatible XML API (hmac_lister.cpp); keyless
  // credentials with the caller's tokens, or, with --impersonate-service-account, with the
  // account's own from IAM generateAccessToken (keyless.cpp).
  [[nodiscard]] Result<std::unique_ptr<io::PageFetcher>> make_page_fetcher(
      BucketUri const& uri, ListSettings const& s, auth::Credentials const& creds,
      EnvLookup const& env) const override {
    if (auto r = check_list(uri, s, env); !r) return r.error();
    io::GcsListerConfig cfg = lister_config(uri, s);
    if (creds.listing_token) {
      auto p =
          io::make_fixed_token_provider(creds.listing_token->token, creds.listing_token_origin);
      if (!p) return p.error();
      cfg.tokens = std::move(*p);
      // With --impersonate-service-account the token is the caller's: it asks IAM for the
      // account's, which list (as gcloud's --access-token-file with impersonation does).
      if (!s.impersonate_service_account.empty()) {
        auto imp = detail::impersonated_listing_tokens(
            std::move(cfg.tokens), s.impersonate_service_account, cfg.http, s, env);
        if (!imp) return imp.error();
        cfg.tokens = std::move(*imp);
      }
      return io::make_gcs_page_fetcher(std::move(cfg));
    }
    if (auto const* hmac = std::get_if<gcs::HmacKey>(&creds.secret)) {
      return make_gcs_hmac_page_fetcher(uri, s, *hmac);
    }
    if (auto const* keyless = std::get_if<auth::GcsKeyless>(&creds.secret)) {
      auto tokens = keyless_listing_tokens(*keyless, creds.key_file, cfg.http, s, env);
      if (!tokens) return tokens.error();
      cfg.tokens = std::move(*tokens);
      return io::make_gcs_page_fetcher(std::move(cfg));
    }
    auto const* key = std::get_if<gcs::ServiceAccountKey>(&creds.secret);
    if (key == nullptr) return wrong_credentials("gs", creds);
    // token_uri and private_key_id come from the key's JSON file (or its text, kept with a
    // stored key).
    auto info = creds.key_info ? Result<signers::gcs::oauth::ServiceAccountInfo>(*creds.key_info)
                               : auth::gcs::load_service_account_info(creds.key_file);
    if (!info) return info.error();
    io::ServiceAccountTokenConfig tc(*key, std::move(*info));
    tc.http = cfg.http;  // the token endpoint gets the same TLS settings and backoff base
    if (s.retry_base) tc.retry.base_delay = *s.retry_base;
    tc.retry_env.on_retry = s.on_retry;
    auto provider = io::make_service_account_token_provider(std::move(tc));
    if (!provider) return provider.error();
    cfg.tokens = std::move(*provider);
    return io::make_gcs_page_fetcher(std::move(cfg));
  }

 private:
  static io::GcsListerConfig lister_config(BucketUri const& uri, ListSettings const& s) {
    io::GcsListerConfig cfg;
    cfg.bucket = uri.bucket;
    cfg.prefix_for_messages = uri.prefix;
    cfg.endpoint = s.endpoint;  // the JSON API ignores --addressing: its paths name the bucket
    apply_transport(cfg, s, io::RetryProvider::kGcs);
    return cfg;
  }

  static gcs::GcsPresignConfig config(BucketUri const& uri, SignSettings const& s) {
    gcs::GcsPresignConfig cfg;
    cfg.bucket = uri.bucket;
    cfg.endpoint = s.endpoint;
    // GCS has no botocore-style automatic choice: auto means path style, as Google's clients.
    cfg.addressing = s.addressing == "virtual" ? gcs::Addressing::kVirtual : gcs::Addressing::kPath;
    cfg.method = s.method;
    cfg.expires_seconds = s.expires_seconds;
    cfg.signing_time = s.when;
    cfg.response_content_disposition = s.response_content_disposition;
    cfg.response_content_type = s.response_content_type;
    return cfg;
  }
};

}  // namespace

Provider const& gcs_provider() {
  static GcsProvider const p;
  return p;
}

}  // namespace presign::providers::detail
