// AES-256-GCM through OpenSSL's EVP interface (NIST SP 800-38D): a 96-bit random nonce per
// encryption (the recommended IV length; random nonces stay far below the 2^32 limit per key
// for a store's handful of secrets) and a 128-bit tag appended to the ciphertext.
#include "presign/store/crypto.hpp"

#include "presign/core/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <memory>

namespace presign::store {
namespace {

constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::string_view kCheckLabel = "presign store master key check v1";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

}  // namespace

MasterKey::~MasterKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

std::string MasterKey::to_text() const {
  std::string out;
  append_base64(out, std::string_view(reinterpret_cast<char const*>(bytes_.data()), kSize));
  return out;
}

bool MasterKey::operator==(MasterKey const& other) const noexcept {
  return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), kSize) == 0;
}

Result<MasterKey> random_master_key() {
  std::array<unsigned char, MasterKey::kSize> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return make_error(ErrorKind::kInternal, "the random generator failed (RAND_bytes)");
  }
  MasterKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

Result<MasterKey> parse_master_key(std::string_view text, std::string_view what) {
  std::string_view const t = trim(text);
  std::array<unsigned char, MasterKey::kSize> bytes{};
  if (t.size() == 2 * MasterKey::kSize) {
    bool hex = true;
    for (std::size_t i = 0; i < MasterKey::kSize && hex; ++i) {
      int const hi = hex_value(t[2 * i]);
      int const lo = hex_value(t[2 * i + 1]);
      hex = hi >= 0 && lo >= 0;
      if (hex) bytes[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    if (hex) {
      MasterKey key(bytes);
      OPENSSL_cleanse(bytes.data(), bytes.size());
      return key;
    }
  }
  std::string decoded;
  if (base64_decode(t, decoded) && decoded.size() == MasterKey::kSize) {
    std::copy(decoded.begin(), decoded.end(), bytes.begin());
    wipe(decoded);
    MasterKey key(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
  }
  wipe(decoded);
  return make_error(ErrorKind::kConfig,
                    std::string(what) +
                        " is not a master key: it must be 32 bytes written as base64 (44 "
                        "characters) or as 64 hex digits");
}

std::string key_check_value(MasterKey const& key) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(MasterKey::kSize),
       reinterpret_cast<unsigned char const*>(kCheckLabel.data()), kCheckLabel.size(), mac, &len);
  return std::string(reinterpret_cast<char const*>(mac), len);
}

bool key_check_matches(MasterKey const& key, std::string_view stored) {
  std::string const mine = key_check_value(key);
  return stored.size() == mine.size() &&
         CRYPTO_memcmp(stored.data(), mine.data(), mine.size()) == 0;
}

Result<Sealed> seal(MasterKey const& key, std::string_view plaintext, std::string_view aad) {
  Sealed out;
  out.nonce.resize(kNonceSize);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.nonce.data()), kNonceSize) != 1) {
    return make_error(ErrorKind::kInternal, "the random generator failed (RAND_bytes)");
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  out.ciphertext.resize(plaintext.size() + kTagSize);
  auto* ct = reinterpret_cast<unsigned char*>(out.ciphertext.data());
  bool ok = ctx &&
            EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(),
                               reinterpret_cast<unsigned char const*>(out.nonce.data())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                              reinterpret_cast<unsigned char const*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), ct, &len,
                              reinterpret_cast<unsigned char const*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1;
  int fin = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin) == 1 &&
       static_cast<std::size_t>(len) + static_cast<std::size_t>(fin) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) == 1;
  if (!ok) return make_error(ErrorKind::kInternal, "AES-256-GCM encryption failed");
  return out;
}

Result<std::string> unseal(MasterKey const& key, std::string_view nonce,
                           std::string_view ciphertext, std::string_view aad) {
  if (nonce.size() != kNonceSize || ciphertext.size() < kTagSize) {
    return make_error(ErrorKind::kAuth, "a stored secret is damaged (wrong nonce or length)");
  }
  std::size_t const n = ciphertext.size() - kTagSize;
  std::string plain(n, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto const* ct = reinterpret_cast<unsigned char const*>(ciphertext.data());
  // The tag is set through a non-const pointer in OpenSSL's API; copy it.
  unsigned char tag[kTagSize];
  std::copy(ct + n, ct + n + kTagSize, tag);
  bool ok = ctx &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(),
                               reinterpret_cast<unsigned char const*>(nonce.data())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                              reinterpret_cast<unsigned char const*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, ct,
                              static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) == 1;
  int fin = 0;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                                 &fin) == 1;
  if (!ok) {
    wipe(plain);
    return make_error(ErrorKind::kAuth,
                      "a stored secret does not authenticate: it was sealed under another "
                      "master key or for another row");
  }
  return plain;
}

void wipe(std::string& secret) noexcept {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace presign::store
