#pragma once
// The S3 presigner the engine suites sign with: AWS's documented example key pair, bucket
// "examplebucket", 900 s from 2024-01-01T00:00:00Z (pipeline_test.cpp, job_test.cpp).

#include "presign/core/time.hpp"
#include "presign/signers/sigv4.hpp"

namespace presign::test {

inline signers::sigv4::S3Presigner example_s3_signer() {
  signers::sigv4::S3PresignConfig c;
  c.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  c.bucket = "examplebucket";
  c.expires_seconds = 900;
  c.signing_time = parse_rfc3339("2024-01-01T00:00:00Z").value();
  return signers::sigv4::S3Presigner::create(c).value();
}

}  // namespace presign::test
