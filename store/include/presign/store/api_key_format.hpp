#pragma once
/// The API key format, GitHub's token format with our prefix: `psk_` + 32 base62 characters
/// from the CSPRNG (about 190 bits) + 6 base62 characters of the CRC32 of those 32. The
/// checksum lets a typo or garbage be rejected without a database lookup, and the prefix lets
/// secret scanners find leaked keys. Validity bounds of a new key are here too.
///
/// Pure functions: no I/O, no allocation in `check_api_key_format`.

#include "presign/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presign::store {

inline constexpr std::string_view kApiKeyPrefix = "psk_";
inline constexpr std::size_t kApiKeyRandomChars = 32;
inline constexpr std::size_t kApiKeyChecksumChars = 6;
inline constexpr std::size_t kApiKeyLength =
    kApiKeyPrefix.size() + kApiKeyRandomChars + kApiKeyChecksumChars;  // 42

enum class KeyFormat : std::uint8_t {
  kOk,
  kMalformed,    ///< wrong prefix, length or alphabet
  kBadChecksum,  ///< well-formed, but the checksum does not match (a typo)
};

/// What is wrong with `key`'s form, if anything.
KeyFormat check_api_key_format(std::string_view key) noexcept;

/// CRC32 (IEEE 802.3, zlib's) of `data`.
std::uint32_t crc32(std::string_view data) noexcept;

/// The 6 base62 characters of `crc`, most significant first (62^6 > 2^32).
std::string base62_checksum(std::uint32_t crc);

/// A new key from RAND_bytes, each base62 character drawn uniformly by rejection sampling.
Result<std::string> generate_api_key();

enum class ValidityUnit : std::uint8_t { kSecond, kMinute, kHour, kDay, kWeek };

std::optional<ValidityUnit> parse_validity_unit(std::string_view name) noexcept;

inline constexpr std::int64_t kMinValiditySeconds = 60;                             ///< 1 minute
inline constexpr std::int64_t kMaxValiditySeconds = std::int64_t{25} * 7 * 86'400;  ///< 25 weeks

/// `value` × `unit` in seconds, within [1 minute, 25 weeks]; kUsage otherwise (an overflowing
/// product included).
Result<std::int64_t> validity_seconds(std::int64_t value, ValidityUnit unit);

}  // namespace presign::store
