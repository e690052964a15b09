// make_s3_lister: the S3 ListObjectsV2 page fetcher for `presign sign s3://…` without
// --keys-from and for `presign ls`. Region, endpoint and credentials are resolved exactly as
// run_s3 resolves them for signing (signers/aws_credentials.hpp), so the listing and the URLs
// always agree on where the bucket is.
#include "providers.hpp"

#include "presign/io/retry.hpp"
#include "presign/io/s3_lister.hpp"
#include "presign/signers/aws_credentials.hpp"

namespace presign::app {

Result<std::unique_ptr<io::PageFetcher>> make_s3_lister(BucketUri const& uri,
                                                        ListerOptions const& o) {
  // Options that belong to other providers, and contradictions, before anything else.
  if (!o.credentials.empty()) {
    return make_error(ErrorKind::kUsage,
                      "--credentials does not apply to s3:// (AWS credentials "
                      "come from the environment and ~/.aws)");
  }
  if (!o.access_token.empty()) {
    return make_error(ErrorKind::kUsage, "--access-token does not apply to s3://");
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

  auto env = signers::aws::process_env();
  io::S3ListerConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.prefix_for_messages = uri.prefix;
  cfg.region = signers::aws::resolve_region(env, o.region);
  cfg.endpoint = signers::aws::resolve_s3_endpoint(env, o.endpoint);
  if (o.addressing == "virtual") {
    cfg.addressing = signers::sigv4::Addressing::kVirtual;
  } else if (o.addressing == "path") {
    cfg.addressing = signers::sigv4::Addressing::kPath;
  } else if (o.addressing == "auto" || o.addressing.empty()) {
    cfg.addressing = signers::sigv4::Addressing::kAuto;
  } else {
    return make_error(ErrorKind::kUsage,
                      "--addressing must be auto, virtual or path, not '" + o.addressing + "'");
  }
  // Validate the target (bucket, region, endpoint) before looking for credentials, so a
  // usage error is reported as such on a machine without credentials.
  if (auto t = io::resolve_s3_list_target(cfg); !t) return t.error();

  auto creds = signers::aws::DefaultChainProvider(env).credentials();
  if (!creds) return creds.error();
  cfg.credentials = std::move(*creds);

  cfg.http.tls.verify_peer = !o.no_verify_ssl;
  cfg.http.tls.ca_bundle_file = o.ca_bundle;
  cfg.retry = io::RetryOptions::for_listing(io::RetryProvider::kAws);
  if (o.max_attempts > 0) cfg.retry.max_attempts = o.max_attempts;
  if (o.retry_base) cfg.retry.base_delay = *o.retry_base;
  cfg.retry_env.on_retry = o.on_retry;
  return io::make_s3_page_fetcher(std::move(cfg));
}

}  // namespace presign::app
