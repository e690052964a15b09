#pragma once
// Hostile object keys for randomized tests (signers.sigv4_batch, engine.formatting_signer).

#include "presign/signers/signer.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace presign::test {

// A key of hostile bytes: mostly any byte value, sometimes mostly '/' and unreserved bytes,
// sometimes empty or over the limit (the two errors sign() reports).
inline std::string random_key(std::mt19937_64& rng) {
  std::uint64_t const kind = rng() % 20;
  if (kind == 0) return {};
  if (kind == 1) return std::string(signers::kMaxKeyBytes + 1 + rng() % 64, 'k');
  std::size_t len = 0;
  switch (rng() % 4) {
    case 0:
      len = 1 + rng() % 16;
      break;
    case 1:
      len = 1 + rng() % 120;
      break;
    case 2:
      len = 1 + rng() % signers::kMaxKeyBytes;
      break;
    default:
      len = signers::kMaxKeyBytes - rng() % 8;
      break;
  }
  std::string key(len, '\0');
  bool const mostly_plain = rng() % 2 == 0;
  static constexpr std::string_view kPlain = "abcXYZ019-._~/";
  for (char& c : key) {
    c = mostly_plain && rng() % 8 != 0 ? kPlain[rng() % kPlain.size()]
                                       : static_cast<char>(rng() & 0xFF);
  }
  return key;
}

}  // namespace presign::test
