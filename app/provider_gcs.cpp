// gs://BUCKET[/PREFIX]: GCS V4 signed URLs (service-account keys → GOOG4-RSA-SHA256, HMAC
// keys → GOOG4-HMAC-SHA256). Options are validated, then the expiry, then the credentials
// are looked up, so a usage error is reported as such on a machine without credentials.
#include "presign/io/gcs_lister.hpp"
#include "presign/io/retry.hpp"
#include "presign/signers/aws_credentials.hpp"
#include "presign/signers/gcs_oauth.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <utility>
#include <variant>

#include "providers.hpp"

namespace presign::app {

int run_gcs(BucketUri const& uri, SignOptions const& o, io::Format format,
            std::int64_t expires_seconds, SigningTime when) {
  namespace gcs = signers::gcs;
  // With --keys-from the URI names no prefix (check_source_options); without it the prefix is
  // listed.
  for (auto const& [flag, value] : {std::pair{"--ip", o.ip},
                                    {"--start", o.start},
                                    {"--sas-version", o.sas_version},
                                    {"--response-cache-control", o.response_cache_control},
                                    {"--response-content-encoding", o.response_content_encoding},
                                    {"--response-content-language", o.response_content_language},
                                    {"--snapshot", o.snapshot},
                                    {"--version-id", o.version_id},
                                    {"--region", o.region}}) {
    if (!value.empty()) {
      return fail(make_error(ErrorKind::kUsage, std::string(flag) + " does not apply to gs://"));
    }
  }
  if (o.https_only || o.permissions != "r") {
    return fail(
        make_error(ErrorKind::kUsage, "--https-only and --permissions apply to az:// only"));
  }
  if (expires_seconds < 1 || expires_seconds > gcs::kMaxExpiresSeconds) {
    return fail(make_error(ErrorKind::kUsage, "--expires " + o.expires +
                                                  " is out of range: GCS V4 signed URLs live "
                                                  "1 to 604800 seconds (7 days)"));
  }

  gcs::GcsPresignConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.endpoint = o.endpoint;
  // GCS has no botocore-style automatic choice: auto means path style, as Google's clients.
  cfg.addressing = o.addressing == "virtual" ? gcs::Addressing::kVirtual : gcs::Addressing::kPath;
  cfg.method = o.method;
  cfg.expires_seconds = expires_seconds;
  cfg.signing_time = when;
  cfg.response_content_disposition = o.response_content_disposition;
  cfg.response_content_type = o.response_content_type;
  // Check the options that need no credentials with a throw-away HMAC key first, so a bad
  // bucket or endpoint is a usage error (exit 2) even where no credentials exist.
  {
    gcs::GcsPresignConfig probe = cfg;
    probe.credentials = gcs::HmacKey{"probe", "probe"};
    if (auto p = gcs::GcsPresigner::create(std::move(probe)); !p) return fail(p.error());
  }
  auto creds = gcs::resolve_credentials(o.credentials, signers::aws::process_env());
  if (!creds) return fail(creds.error());
  cfg.credentials = std::move(*creds);
  auto signer = gcs::GcsPresigner::create(std::move(cfg));
  if (!signer) return fail(signer.error());
  return run_job(*signer, signer->expires_at(), o, format);
}

// make_gcs_lister: `presign sign gs://…` without --keys-from, and `presign ls gs://…`.
// Credentials are resolved as run_gcs resolves them (resolve_credentials), except that an
// access token (--access-token, else GOOGLE_OAUTH_ACCESS_TOKEN) is enough to list: then no
// key is read for the listing (signing still needs one). A service-account key lists through
// the JSON API with an OAuth2 token (io/gcs_lister.hpp); an HMAC key through the XML API
// (make_gcs_hmac_lister, lister_gcs_hmac.cpp).
Result<std::unique_ptr<io::PageFetcher>> make_gcs_lister(BucketUri const& uri,
                                                         ListerOptions const& o) {
  namespace gcs = signers::gcs;
  if (!o.region.empty()) {
    return make_error(ErrorKind::kUsage, "--region does not apply to gs://");
  }
  if (o.no_verify_ssl && !o.ca_bundle.empty()) {
    return make_error(ErrorKind::kUsage, "--ca-bundle and --no-verify-ssl contradict each other");
  }
  if (o.max_attempts < 0) {
    return make_error(ErrorKind::kUsage, "--retry-max-attempts must be at least 1");
  }
  if (o.retry_base && o.retry_base->count() < 0) {
    return make_error(ErrorKind::kUsage, "--retry-base-delay must not be negative");
  }
  if (o.addressing != "auto" && o.addressing != "path" && o.addressing != "virtual" &&
      !o.addressing.empty()) {
    return make_error(ErrorKind::kUsage,
                      "--addressing must be auto, virtual or path, not '" + o.addressing + "'");
  }

  io::GcsListerConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.prefix_for_messages = uri.prefix;
  cfg.endpoint = o.endpoint;  // the JSON API ignores --addressing: its paths name the bucket
  cfg.http.tls.verify_peer = !o.no_verify_ssl;
  cfg.http.tls.ca_bundle_file = o.ca_bundle;
  cfg.retry = io::RetryOptions::for_listing(io::RetryProvider::kGcs);
  if (o.max_attempts > 0) cfg.retry.max_attempts = o.max_attempts;
  if (o.retry_base) cfg.retry.base_delay = *o.retry_base;
  cfg.retry_env.on_retry = o.on_retry;
  // Bucket and endpoint first, so a usage error is reported as such without credentials.
  if (auto b = io::gcs_list_base_url(cfg); !b) return b.error();

  auto env = signers::aws::process_env();
  std::string token = o.access_token;
  std::string origin = "--access-token";
  if (token.empty()) {
    if (auto t = env(io::kEnvGoogleOauthAccessToken)) {
      token = std::move(*t);
      origin = io::kEnvGoogleOauthAccessToken;
    }
  }
  if (!token.empty()) {
    auto p = io::make_fixed_token_provider(std::move(token), origin);
    if (!p) return p.error();
    cfg.tokens = std::move(*p);
    return io::make_gcs_page_fetcher(std::move(cfg));
  }

  auto creds = gcs::resolve_credentials(o.credentials, env);
  if (!creds) {
    Error e = creds.error();
    if (o.credentials.empty()) {
      e.detail += "; to list a bucket, an OAuth2 access token (--access-token or " +
                  std::string(io::kEnvGoogleOauthAccessToken) + ") also works";
    }
    return e;
  }
  if (auto const* hmac = std::get_if<gcs::HmacKey>(&*creds)) {
    return make_gcs_hmac_lister(uri, o, *hmac);
  }
  // A service-account key came from --credentials or GOOGLE_APPLICATION_CREDENTIALS (the
  // HMAC environment variables yield HmacKey): read token_uri and private_key_id from it.
  std::string path = o.credentials;
  if (path.empty()) {
    if (auto p = env(gcs::kEnvApplicationCredentials)) path = std::move(*p);
  }
  auto info = gcs::oauth::load_service_account_info(path);
  if (!info) return info.error();
  io::ServiceAccountTokenConfig tc(std::get<gcs::ServiceAccountKey>(*creds), std::move(*info));
  tc.http = cfg.http;  // the token endpoint gets the same TLS settings and backoff base
  if (o.retry_base) tc.retry.base_delay = *o.retry_base;
  tc.retry_env.on_retry = o.on_retry;
  auto provider = io::make_service_account_token_provider(std::move(tc));
  if (!provider) return provider.error();
  cfg.tokens = std::move(*provider);
  return io::make_gcs_page_fetcher(std::move(cfg));
}

}  // namespace presign::app
