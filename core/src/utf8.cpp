// The UTF-8 validator's whole-string scans (utf8.hpp): an eight-byte ASCII fast path, and
// utf8_sequence_length for everything else, so every caller applies the same table.
#include "presign/core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace presign {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
constexpr std::uint64_t kLowBits = 0x0101010101010101ULL;

template <bool kRejectNul>
std::size_t find_invalid(std::string_view s) noexcept {
  std::size_t const n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time: no byte with the high bit set and, when NUL is
    // refused, no zero byte (the classic "has a zero byte" bit trick).
    while (i + 8 <= n) {
      std::uint64_t w = 0;
      std::memcpy(&w, s.data() + i, 8);
      if ((w & kHighBits) != 0) break;
      if constexpr (kRejectNul) {
        if (((w - kLowBits) & ~w & kHighBits) != 0) break;
      }
      i += 8;
    }
    if (i >= n) break;
    auto const c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (kRejectNul && c == 0) return i;
      ++i;
      continue;
    }
    std::size_t const len = utf8_sequence_length(s, i);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view s) noexcept { return find_invalid<false>(s); }

std::size_t find_invalid_utf8_or_nul(std::string_view s) noexcept { return find_invalid<true>(s); }

void truncate_utf8(std::string& s, std::size_t max) noexcept {
  if (s.size() <= max) return;
  std::size_t n = max;
  // Step back over continuation bytes so the cut falls on a sequence boundary.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

}  // namespace presign
