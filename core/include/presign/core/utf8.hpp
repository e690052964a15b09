#pragma once
/// The one UTF-8 validator: well-formed UTF-8 as RFC 3629 §4 and Unicode Table 3-7 define it
/// (no overlong forms, no UTF-16 surrogates D800..DFFF, nothing above U+10FFFF, no truncated
/// sequence). Used per key on the hot path (record formats, signers) and on whole list pages,
/// so nothing here allocates or throws.

#include <cstddef>
#include <string>
#include <string_view>

namespace presign {

/// Length (1 to 4) of the well-formed sequence that starts at `s[i]`, or 0 when the bytes at
/// `i` do not start one. Requires `i < s.size()`. Inline: the JSON escaper and the Azure name
/// encoder call it once per non-ASCII character.
constexpr std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  // A continuation byte within [lo, hi] at s[k] (the second byte's range depends on the lead).
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < s.size() && b(k) >= lo && b(k) <= hi;
  };
  unsigned char const c = b(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;                 // no overlongs
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;           // no surrogates
  if (c >= 0xE1 && c <= 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;          // E1..EC, EE, EF
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;  // no overlongs
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;  // ≤ 10FFFF
  return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF
}

/// Offset of the first byte of `s` that does not start a well-formed sequence, or `s.size()`
/// when all of `s` is UTF-8. ASCII runs are checked eight bytes at a time.
std::size_t find_invalid_utf8(std::string_view s) noexcept;

/// As `find_invalid_utf8`, and a NUL byte counts as invalid too (list pages: XML 1.0 has no
/// NUL character, and a key with one cannot be signed or written).
std::size_t find_invalid_utf8_or_nul(std::string_view s) noexcept;

/// True when all of `s` is well-formed UTF-8 (NUL allowed: U+0000 is a character).
inline bool is_valid_utf8(std::string_view s) noexcept { return find_invalid_utf8(s) == s.size(); }

/// Characters (code points) of text already known to be UTF-8: the bytes that are not
/// continuation bytes.
constexpr std::size_t utf8_char_count(std::string_view valid) noexcept {
  std::size_t n = 0;
  for (char c : valid) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/// Cuts `s` to at most `max` bytes without splitting a sequence: the cut steps back over
/// continuation bytes to the start of the sequence that would have been split.
void truncate_utf8(std::string& s, std::size_t max) noexcept;

}  // namespace presign
