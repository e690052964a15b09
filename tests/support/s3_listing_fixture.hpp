#pragma once
// The fake S3 server and the S3 lister set up for each other (SigV4 verified by the server,
// retries fast): io.listing*, engine.listing_pipeline.

#include "presign/io/s3_lister.hpp"

#include "fake_s3_server.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace presign::test {

inline constexpr char const* kAkid = "AKIDLISTINGEXAMPLE";
inline constexpr char const* kSecret = "listing/Secret+Key0123456789abcdefEXAMPLE";
inline constexpr char const* kRegion = "eu-north-1";

inline FakeS3Options fake_options(std::uint64_t keys) {
  FakeS3Options o;
  o.keys = keys;
  o.verify_sigv4 = true;
  o.access_key_id = kAkid;
  o.secret_access_key = kSecret;
  o.region = kRegion;
  return o;
}

inline io::S3ListerConfig lister_config(FakeS3Server const& server, std::string secret = kSecret) {
  io::S3ListerConfig c;
  c.bucket = "bucket";
  c.region = kRegion;
  c.endpoint = server.endpoint();
  c.credentials = {kAkid, std::move(secret), ""};
  c.retry.base_delay = std::chrono::milliseconds{1};
  c.retry.max_backoff = std::chrono::milliseconds{4};
  return c;
}

}  // namespace presign::test
