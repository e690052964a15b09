#pragma once
/// One runner per provider: builds the provider's signer from the options and the
/// environment, validates everything before any work, and runs the job (run_job.hpp).
/// Each returns the process exit code.

#include "run_job.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/retry.hpp"
#include "presign/signers/gcs_v4.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace presign::app {

/// What a lister needs from the command line (`presign sign` without --keys-from, `presign ls`).
struct ListerOptions {
  std::string endpoint;             ///< --endpoint (else the provider's environment / default)
  std::string region;               ///< --region (s3)
  std::string addressing = "auto";  ///< --addressing (s3, gs)
  std::string credentials;          ///< --credentials FILE (gs)
  std::string access_token;         ///< --access-token (gs; else GOOGLE_OAUTH_ACCESS_TOKEN)
  std::string ca_bundle;            ///< --ca-bundle FILE: trust these CAs instead of the system's
  bool no_verify_ssl = false;       ///< --no-verify-ssl: accept any certificate (explicit only)
  std::uint32_t page_size = 0;      ///< --page-size: 0 = the provider's maximum
  int max_attempts = 0;             ///< --retry-max-attempts: 0 = io::kListingMaxAttempts
  /// --retry-base-delay: the backoff base (tests use ms); unset: the provider profile's
  /// (AWS and GCS 1 s, Azure 0.8 s).
  std::optional<std::chrono::milliseconds> retry_base;
  /// Told about each retry of a page or token request (progress.hpp); empty: nobody.
  io::RetryObserver on_retry;
};

/// The page fetcher listing `uri`, with credentials resolved as for signing. Each validates
/// its options and credentials before any request. provider_s3 / provider_gcs / provider_azure.
Result<std::unique_ptr<io::PageFetcher>> make_s3_lister(BucketUri const& uri,
                                                        ListerOptions const& o);
Result<std::unique_ptr<io::PageFetcher>> make_gcs_lister(BucketUri const& uri,
                                                         ListerOptions const& o);
Result<std::unique_ptr<io::PageFetcher>> make_azure_lister(BucketUri const& uri,
                                                           ListerOptions const& o);
/// gs:// with an HMAC key: ListObjectsV2 on the S3-compatible XML API of Cloud Storage
/// (AWS4-HMAC-SHA256 header auth, region "auto"), lister_gcs_hmac.cpp. Called by
/// make_gcs_lister when the credential chain yields an HMAC key.
Result<std::unique_ptr<io::PageFetcher>> make_gcs_hmac_lister(BucketUri const& uri,
                                                              ListerOptions const& o,
                                                              signers::gcs::HmacKey const& key);

/// s3://BUCKET[/PREFIX] — provider_s3 (sign_command.cpp).
int run_s3(BucketUri const& uri, SignOptions const& o, io::Format format,
           std::int64_t expires_seconds, SigningTime when);
/// gs://BUCKET[/PREFIX] — provider_gcs.cpp.
int run_gcs(BucketUri const& uri, SignOptions const& o, io::Format format,
            std::int64_t expires_seconds, SigningTime when);
/// az://ACCOUNT/CONTAINER[/PREFIX] — provider_azure.cpp (uri.bucket is the account; the
/// container is the first segment of uri.prefix).
int run_azure(BucketUri const& uri, SignOptions const& o, io::Format format,
              std::int64_t expires_seconds, SigningTime when);

}  // namespace presign::app
