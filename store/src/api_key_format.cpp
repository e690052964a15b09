#include "presign/store/api_key_format.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>

namespace presign::store {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr bool is_base62(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

}  // namespace

std::uint32_t crc32(std::string_view data) noexcept {
  std::uint32_t c = 0xFFFFFFFFU;
  for (char ch : data) c = kCrcTable[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFU;
}

std::string base62_checksum(std::uint32_t crc) {
  std::string out(kApiKeyChecksumChars, '0');
  for (std::size_t i = kApiKeyChecksumChars; i-- > 0;) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

KeyFormat check_api_key_format(std::string_view key) noexcept {
  if (key.size() != kApiKeyLength || !key.starts_with(kApiKeyPrefix)) return KeyFormat::kMalformed;
  std::string_view const body = key.substr(kApiKeyPrefix.size());
  for (char c : body) {
    if (!is_base62(c)) return KeyFormat::kMalformed;
  }
  std::string_view const random = body.substr(0, kApiKeyRandomChars);
  std::string_view const given = body.substr(kApiKeyRandomChars);
  // Recompute the checksum without allocating (this runs on every request of a service).
  char want[kApiKeyChecksumChars];
  std::uint32_t crc = crc32(random);
  for (std::size_t i = kApiKeyChecksumChars; i-- > 0;) {
    want[i] = kBase62[crc % 62];
    crc /= 62;
  }
  if (CRYPTO_memcmp(want, given.data(), kApiKeyChecksumChars) != 0) return KeyFormat::kBadChecksum;
  return KeyFormat::kOk;
}

Result<std::string> generate_api_key() {
  std::string key(kApiKeyPrefix);
  key.reserve(kApiKeyLength);
  std::array<unsigned char, 64> pool{};
  std::size_t used = pool.size();
  while (key.size() < kApiKeyPrefix.size() + kApiKeyRandomChars) {
    if (used == pool.size()) {
      if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
        OPENSSL_cleanse(pool.data(), pool.size());
        return make_error(ErrorKind::kInternal, "the random generator failed (RAND_bytes)");
      }
      used = 0;
    }
    // Rejection sampling: 248 = 4 × 62, so bytes below it map onto base62 uniformly.
    unsigned char const b = pool[used++];
    if (b < 248) key += kBase62[b % 62];
  }
  OPENSSL_cleanse(pool.data(), pool.size());
  key += base62_checksum(crc32(std::string_view(key).substr(kApiKeyPrefix.size())));
  return key;
}

std::optional<ValidityUnit> parse_validity_unit(std::string_view name) noexcept {
  if (name == "second") return ValidityUnit::kSecond;
  if (name == "minute") return ValidityUnit::kMinute;
  if (name == "hour") return ValidityUnit::kHour;
  if (name == "day") return ValidityUnit::kDay;
  if (name == "week") return ValidityUnit::kWeek;
  return std::nullopt;
}

Result<std::int64_t> validity_seconds(std::int64_t value, ValidityUnit unit) {
  std::int64_t per = 1;
  switch (unit) {
    case ValidityUnit::kSecond:
      per = 1;
      break;
    case ValidityUnit::kMinute:
      per = 60;
      break;
    case ValidityUnit::kHour:
      per = 3600;
      break;
    case ValidityUnit::kDay:
      per = 86'400;
      break;
    case ValidityUnit::kWeek:
      per = std::int64_t{7} * 86'400;
      break;
  }
  std::int64_t seconds = 0;
  bool const overflow = __builtin_mul_overflow(value, per, &seconds);
  if (overflow || value <= 0 || seconds < kMinValiditySeconds || seconds > kMaxValiditySeconds) {
    return make_error(ErrorKind::kUsage,
                      "the validity must be from 1 minute to 25 weeks (60 to 15120000 "
                      "seconds)");
  }
  return seconds;
}

}  // namespace presign::store
