// libFuzzer target: the UTF-8 validator (core/utf8.hpp) against a reference decoder written
// here the obvious way (decode the code point from the lead byte's length, then refuse
// overlongs, surrogates and values past U+10FFFF, as RFC 3629 §3 words it). Checks, for any
// input:
//  - find_invalid_utf8 and find_invalid_utf8_or_nul give the reference's offsets;
//  - utf8_sequence_length agrees with the reference at every offset;
//  - truncate_utf8 of valid text stays valid, is a prefix and at most `max` bytes, and cuts
//    at most three bytes more than asked; utf8_char_count is the reference's count.
// Run by scripts/fuzz.sh; seeds in corpus/utf8/, past crashes in regressions/utf8/.

#include "fuzz_check.hpp"
#include "presign/core/utf8.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {
namespace {

// Length of the valid sequence at s[i], or 0, decoded rather than looked up in a table.
std::size_t reference_length(std::string_view s, std::size_t i) {
  auto const c = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    auto const b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  std::uint32_t const min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::size_t reference_find(std::string_view s, bool nul, std::size_t& chars) {
  chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (nul && s[i] == '\0') return i;
    std::size_t const n = reference_length(s, i);
    if (n == 0) return i;
    i += n;
    ++chars;
  }
  return s.size();
}

}  // namespace

int utf8_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  std::size_t chars = 0;
  std::size_t const bad = reference_find(in, false, chars);
  PRESIGN_FUZZ_CHECK(find_invalid_utf8(in) == bad);
  PRESIGN_FUZZ_CHECK(is_valid_utf8(in) == (bad == in.size()));
  std::size_t nul_chars = 0;
  PRESIGN_FUZZ_CHECK(find_invalid_utf8_or_nul(in) == reference_find(in, true, nul_chars));
  for (std::size_t i = 0; i < in.size(); ++i) {
    PRESIGN_FUZZ_CHECK(utf8_sequence_length(in, i) == reference_length(in, i));
  }
  std::string_view const valid = in.substr(0, bad);
  PRESIGN_FUZZ_CHECK(utf8_char_count(valid) == chars);
  std::size_t const max = size == 0 ? 0 : data[0] % (valid.size() + 1);
  std::string cut(valid);
  truncate_utf8(cut, max);
  PRESIGN_FUZZ_CHECK(cut.size() <= max && cut.size() + 3 >= std::min(max, valid.size()));
  PRESIGN_FUZZ_CHECK(valid.starts_with(cut));
  PRESIGN_FUZZ_CHECK(is_valid_utf8(cut));
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::utf8_one(data, size);
}
#endif
