// make_gcs_hmac_lister: listing gs://BUCKET[/PREFIX] with an HMAC interoperability key.
//
// An HMAC key cannot get an OAuth2 token, so the JSON API is out of reach; Cloud Storage's
// XML API speaks ListObjectsV2 (`list-type=2`, `continuation-token`, `encoding-type=url`,
// `start-after`) and accepts AWS4-HMAC-SHA256 header auth made with an HMAC key, region
// "auto", service "s3". That is exactly the S3 fetcher (io/s3_lister.hpp) pointed at
// https://storage.googleapis.com (or --endpoint), path style unless --addressing virtual,
// reported as "gs://…" and "Cloud Storage" in messages.
#include "providers.hpp"

#include "presign/io/retry.hpp"
#include "presign/io/s3_lister.hpp"

namespace presign::app {

inline constexpr char kGcsXmlApiEndpoint[] = "https://storage.googleapis.com";

Result<std::unique_ptr<io::PageFetcher>> make_gcs_hmac_lister(BucketUri const& uri,
                                                              ListerOptions const& o,
                                                              signers::gcs::HmacKey const& key) {
  if (o.no_verify_ssl && !o.ca_bundle.empty()) {
    return make_error(ErrorKind::kUsage, "--ca-bundle and --no-verify-ssl contradict each other");
  }
  if (o.max_attempts < 0) {
    return make_error(ErrorKind::kUsage, "--retry-max-attempts must be at least 1");
  }
  if (o.retry_base && o.retry_base->count() < 0) {
    return make_error(ErrorKind::kUsage, "--retry-base-delay must not be negative");
  }
  io::S3ListerConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.prefix_for_messages = uri.prefix;
  cfg.scheme_for_messages = "gs";
  cfg.service_for_messages = "Cloud Storage";
  cfg.region = "auto";
  cfg.endpoint = o.endpoint.empty() ? std::string(kGcsXmlApiEndpoint) : o.endpoint;
  if (o.addressing == "virtual") {
    cfg.addressing = signers::sigv4::Addressing::kVirtual;
  } else if (o.addressing == "path" || o.addressing == "auto" || o.addressing.empty()) {
    // As for signing: Google's clients use path style unless asked otherwise.
    cfg.addressing = signers::sigv4::Addressing::kPath;
  } else {
    return make_error(ErrorKind::kUsage,
                      "--addressing must be auto, virtual or path, not '" + o.addressing + "'");
  }
  cfg.credentials.access_key_id = key.access_id;
  cfg.credentials.secret_access_key = key.secret;
  cfg.http.tls.verify_peer = !o.no_verify_ssl;
  cfg.http.tls.ca_bundle_file = o.ca_bundle;
  cfg.retry = io::RetryOptions::for_listing(io::RetryProvider::kGcs);
  if (o.max_attempts > 0) cfg.retry.max_attempts = o.max_attempts;
  if (o.retry_base) cfg.retry.base_delay = *o.retry_base;
  cfg.retry_env.on_retry = o.on_retry;
  return io::make_s3_page_fetcher(std::move(cfg));
}

}  // namespace presign::app
