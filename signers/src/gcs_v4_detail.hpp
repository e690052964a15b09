#pragma once
// Private to presign::signers: what the two halves of GCS V4 share, the keys and the staged API
// (gcs_v4.cpp) and the batch presigner (gcs_v4_presigner.cpp).

#include "presign/signers/gcs_v4.hpp"

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::signers::gcs {

namespace detail {

inline constexpr std::string_view kRegion = "auto";
inline constexpr std::string_view kService = "storage";
inline constexpr std::string_view kTerminator = "goog4_request";
inline constexpr std::string_view kKeyPrefix = "GOOG4";
// The largest RSA signature accepted (4,096-bit moduli).
inline constexpr std::size_t kMaxRsaBytes = 512;

// `s` percent-encoded (every byte but A-Z a-z 0-9 - . _ ~, and '/' when `keep_slash`).
std::string encoded(std::string_view s, bool keep_slash);

// `[scheme://]host[:port][/]`: the scheme (lower-case, may be empty) and the authority
// (lower-case, as the Node client's WHATWG URL lower-cases hosts).
struct Endpoint {
  std::string scheme;
  std::string authority;
};

Result<Endpoint> parse_endpoint(std::string_view text, std::string_view what, bool need_scheme);

// The signed host: the authority without its port.
std::string host_of(std::string_view authority);

// Bucket name, method (GET, PUT, HEAD) and expiry of a batch (kUsage errors).
Result<void> check_batch_options(GcsPresignConfig const& config);

}  // namespace detail

// The parsed key, shared by every copy of a ServiceAccountKey.
struct ServiceAccountKey::Impl {
  Impl() = default;
  Impl(Impl const&) = delete;
  Impl& operator=(Impl const&) = delete;

  ~Impl() { EVP_PKEY_free(pkey); }

  std::string client_email;
  EVP_PKEY* pkey = nullptr;  // immutable after construction; shared by all copies
  std::size_t signature_bytes = 0;
  std::uint64_t id = 0;
};

}  // namespace presign::signers::gcs
