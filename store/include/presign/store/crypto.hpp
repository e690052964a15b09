#pragma once
/// Secrets at rest: the 32-byte master key, AES-256-GCM sealing with associated data, and the
/// key check value that tells a wrong master key from a right one.
///
/// Every function here is thread-safe, allocates, and never puts key or plaintext bytes into
/// an error message.

#include "presign/core/error.hpp"

#include <array>
#include <string>
#include <string_view>

namespace presign::store {

/// The master key. Its bytes are wiped when it is destroyed.
class MasterKey {
 public:
  static constexpr std::size_t kSize = 32;
  MasterKey() = default;
  explicit MasterKey(std::array<unsigned char, kSize> const& bytes) : bytes_(bytes) {}
  MasterKey(MasterKey const&) = default;
  MasterKey& operator=(MasterKey const&) = default;
  ~MasterKey();
  [[nodiscard]] unsigned char const* data() const noexcept { return bytes_.data(); }
  /// The key as its text form (base64, 44 characters): what a key file holds. A secret.
  [[nodiscard]] std::string to_text() const;
  [[nodiscard]] bool operator==(MasterKey const& other) const noexcept;

 private:
  std::array<unsigned char, kSize> bytes_{};
};

/// A fresh key from OpenSSL's CSPRNG (RAND_bytes).
Result<MasterKey> random_master_key();

/// Parses a key given as text (`PRESIGN_MASTER_KEY` or a key file): standard base64 of 32
/// bytes, or 64 hex digits; surrounding whitespace is ignored. Anything else is a kConfig
/// error naming `what` and the forms accepted (never the text itself).
Result<MasterKey> parse_master_key(std::string_view text, std::string_view what);

/// HMAC-SHA256 of a fixed label under the key: stored with the store, so that a wrong key is
/// recognised before anything is decrypted. Reveals nothing of the key.
std::string key_check_value(MasterKey const& key);

/// Constant-time comparison of `stored` with the key's check value.
bool key_check_matches(MasterKey const& key, std::string_view stored);

/// One sealed secret: a random 96-bit nonce, and the ciphertext with its 16-byte GCM tag.
struct Sealed {
  std::string nonce;
  std::string ciphertext;
};

/// AES-256-GCM of `plaintext` with a fresh random nonce, authenticated with `aad`.
Result<Sealed> seal(MasterKey const& key, std::string_view plaintext, std::string_view aad);

/// The plaintext of a sealed secret; a kAuth error when the key, the nonce, the ciphertext or
/// the associated data differ from those it was sealed with.
Result<std::string> unseal(MasterKey const& key, std::string_view nonce,
                           std::string_view ciphertext, std::string_view aad);

/// Overwrites a string holding a secret (OPENSSL_cleanse), then clears it.
void wipe(std::string& secret) noexcept;

}  // namespace presign::store
