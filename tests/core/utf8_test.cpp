// The one UTF-8 validator (utf8.hpp) against tables of well-formed and ill-formed sequences
// (Unicode Table 3-7, RFC 3629 §4 and the examples of Markus Kuhn's UTF-8 decoder stress
// test: overlongs, surrogates, truncated sequences, code points past U+10FFFF), and against
// the cases the validators it replaced were tested with (io's is_valid_utf8 and
// find_invalid_utf8).
#include "presign/core/utf8.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace presign;
using namespace std::string_literals;

namespace {

struct Case {
  std::string bytes;
  std::size_t invalid_at;  // expected find_invalid_utf8, npos: valid
};

constexpr std::size_t kValid = std::string::npos;

// Each case once on its own, then at the end of 13 ASCII bytes (past the eight-byte fast path).
std::vector<Case> const& cases() {
  static std::vector<Case> const all = {
      {"", kValid},
      {"plain ascii", kValid},
      {"nul\0byte"s, kValid},        // U+0000 is a character
      {"\x7f", kValid},              // DEL
      {"\xC2\x80", kValid},          // U+0080, the smallest 2-byte
      {"\xDF\xBF", kValid},          // U+07FF
      {"\xE0\xA0\x80", kValid},      // U+0800, the smallest 3-byte
      {"\xED\x9F\xBF", kValid},      // U+D7FF, just below the surrogates
      {"\xEE\x80\x80", kValid},      // U+E000, just above them
      {"\xEF\xBF\xBF", kValid},      // U+FFFF
      {"\xF0\x90\x80\x80", kValid},  // U+10000, the smallest 4-byte
      {"\xF4\x8F\xBF\xBF", kValid},  // U+10FFFF, the largest
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", kValid},
      {"\x80", 0},  // a lone continuation byte
      {"\xBF", 0},
      {"\xC0\x80", 0},                  // overlong NUL (Java's "modified UTF-8")
      {"\xC0\xAF", 0},                  // overlong '/'
      {"\xC1\xBF", 0},                  // overlong 2-byte
      {"\xE0\x80\xAF", 0},              // overlong 3-byte '/'
      {"\xE0\x9F\xBF", 0},              // overlong U+07FF
      {"\xF0\x80\x80\xAF", 0},          // overlong 4-byte '/'
      {"\xF0\x8F\xBF\xBF", 0},          // overlong U+FFFF
      {"\xED\xA0\x80", 0},              // U+D800, a high surrogate (CESU-8)
      {"\xED\xBF\xBF", 0},              // U+DFFF, a low surrogate
      {"\xED\xA0\xBD\xED\xB8\x80", 0},  // a surrogate pair spelled in CESU-8
      {"\xF4\x90\x80\x80", 0},          // U+110000
      {"\xF5\x80\x80\x80", 0},          // lead byte past F4
      {"\xF8\x88\x80\x80\x80", 0},      // old 5-byte form
      {"\xFC\x84\x80\x80\x80\x80", 0},  // old 6-byte form
      {"\xFE", 0},
      {"\xFF", 0},
      {"\xC2", 0},          // truncated 2-byte
      {"\xE1\x80", 0},      // truncated 3-byte
      {"\xF0\x9F\x98", 0},  // truncated 4-byte
      {"\xC3\x28", 0},      // a lead byte followed by ASCII
      {"\xE2\x28\xA1", 0},
      {"\xF0\x28\x8C\xBC", 0},
      {"ok \xC3\xA9\x80", 5},  // valid, then a stray continuation byte
      {"\xC3\xA9\xE1\x80", 2},
  };
  return all;
}

}  // namespace

TEST_SUITE("core.utf8") {
  TEST_CASE(
      "find_invalid_utf8 gives the offset of the first ill-formed sequence in every table case") {
    std::string const lead = "0123456789abc";
    for (Case const& c : cases()) {
      INFO(doctest::toString(c.bytes));
      std::size_t const want = c.invalid_at == kValid ? c.bytes.size() : c.invalid_at;
      CHECK(find_invalid_utf8(c.bytes) == want);
      CHECK(is_valid_utf8(c.bytes) == (c.invalid_at == kValid));
      std::string const shifted = lead + c.bytes;
      CHECK(find_invalid_utf8(shifted) == lead.size() + want);
      CHECK(is_valid_utf8(shifted + lead) == (c.invalid_at == kValid));
    }
  }

  TEST_CASE("utf8_sequence_length gives the length of each well-formed sequence and 0 otherwise") {
    CHECK(utf8_sequence_length("a", 0) == 1);
    CHECK(utf8_sequence_length("\xC3\xA9", 0) == 2);
    CHECK(utf8_sequence_length("\xE2\x82\xAC", 0) == 3);
    CHECK(utf8_sequence_length("\xF0\x9F\x98\x80", 0) == 4);
    CHECK(utf8_sequence_length("x\xF0\x9F\x98\x80", 1) == 4);
    CHECK(utf8_sequence_length("\xF0\x9F\x98", 0) == 0);  // truncated at the end of the view
    CHECK(utf8_sequence_length(std::string_view("\xE2\x82\xAC", 2), 0) == 0);
    CHECK(utf8_sequence_length("\xED\xA0\x80", 0) == 0);
    CHECK(utf8_sequence_length("\xC0\x80", 0) == 0);
    static_assert(utf8_sequence_length("\xF4\x8F\xBF\xBF", 0) == 4);
    static_assert(utf8_sequence_length("\xF4\x90\x80\x80", 0) == 0);
  }

  TEST_CASE("every two-byte string is judged as the Unicode table says") {
    // Exhaustive over the first two bytes: a 2-byte sequence is valid exactly for C2..DF
    // followed by 80..BF, and ASCII pairs are valid; everything else with a high byte first
    // is invalid at 0 (3- and 4-byte leads are truncated here).
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; ++b) {
        std::string const s{static_cast<char>(a), static_cast<char>(b)};
        bool const want =
            (a < 0x80 && b < 0x80) || (a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF);
        if (is_valid_utf8(s) != want) {
          FAIL_CHECK("bytes " << a << " " << b);
        }
      }
    }
  }

  TEST_CASE("find_invalid_utf8_or_nul also stops at a NUL byte, inside and after the fast path") {
    CHECK(find_invalid_utf8_or_nul("ok \xC3\xA9") == 5);
    CHECK(find_invalid_utf8_or_nul("12345678901234567\x80") == 17);
    CHECK(find_invalid_utf8_or_nul("nul\0byte"s) == 3);
    CHECK(find_invalid_utf8_or_nul("0123456789abcdef\0"s) == 16);
    CHECK(find_invalid_utf8_or_nul("01234567\0"s) == 8);
    CHECK(find_invalid_utf8("01234567\0"s) == 9);
    CHECK(find_invalid_utf8_or_nul("\xC3\xA9\0"s) == 2);
  }

  TEST_CASE("utf8_char_count counts code points of valid text") {
    CHECK(utf8_char_count("") == 0);
    CHECK(utf8_char_count("abc") == 3);
    CHECK(utf8_char_count("caf\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80") == 7);
  }

  TEST_CASE("truncate_utf8 never splits a sequence and leaves short text alone") {
    std::string s = "ab\xE2\x82\xAC";  // "ab€", 5 bytes
    truncate_utf8(s, 10);
    CHECK(s == "ab\xE2\x82\xAC");
    for (std::size_t max : {2, 3, 4}) {
      std::string t = "ab\xE2\x82\xAC";
      truncate_utf8(t, max);
      CHECK(t == "ab");
    }
    std::string u = "ab\xE2\x82\xAC";
    truncate_utf8(u, 5);
    CHECK(u == "ab\xE2\x82\xAC");
    std::string v = "\xF0\x9F\x98\x80";
    truncate_utf8(v, 1);
    CHECK(v.empty());
  }
}
