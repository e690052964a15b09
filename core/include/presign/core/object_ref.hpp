#pragma once
/// The unit every signer and every output format works on.

#include <cstdint>
#include <string_view>

namespace presign {

/// A borrowed view of one object. The key bytes belong to the page (batch) it came from;
/// the pipeline keeps that page alive until the object's record has been written.
/// Keys are byte strings: never normalised, never trimmed, any byte allowed.
struct ObjectRef {
  std::string_view key;
  std::string_view version;  ///< optional version id / snapshot; empty when not given
};

/// Per-object outcome of the hot path. `kOk` is zero so `if (err != SignError::kOk)` reads plainly.
enum class [[nodiscard]] SignError : std::uint8_t{
    kOk = 0,
    kEmptyKey,      ///< a zero-length object name cannot be addressed
    kKeyTooLong,    ///< over the provider's limit (1,024 bytes for S3, GCS and Azure)
    kInvalidKey,    ///< bytes the provider can never store (e.g. invalid UTF-8 where required)
    kCryptoFailed,  ///< the crypto library reported an error (e.g. RSA signing)
    kRemoteFailed,  ///< a signing service (GCS IAM signBlob) gave no signature, retries spent
};

/// A short, stable message for an error record (no object data in it).
constexpr std::string_view describe(SignError e) noexcept {
  switch (e) {
    case SignError::kOk:
      return "ok";
    case SignError::kEmptyKey:
      return "empty object key";
    case SignError::kKeyTooLong:
      return "object key longer than 1024 bytes";
    case SignError::kInvalidKey:
      return "object key is not valid for this provider";
    case SignError::kCryptoFailed:
      return "signing failed in the crypto library";
    case SignError::kRemoteFailed:
      return "the signing service (IAM signBlob) gave no signature";
  }
  return "unknown error";
}

}  // namespace presign
