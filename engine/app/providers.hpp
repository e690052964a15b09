#pragma once
/// One runner per provider: builds the provider's signer from the options and the
/// environment, validates everything before any work, and runs the job (run_job.hpp).
/// Each returns the process exit code.

#include "run_job.hpp"

#include <cstdint>

namespace presign::app {

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
