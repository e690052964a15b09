// The core text helpers (presign/core/text.hpp) and the one base64 encoder's append form
// (presign/core/base64.hpp), which every library uses instead of its own copy.
#include "presign/core/base64.hpp"
#include "presign/core/text.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace presign;

TEST_SUITE("core.text") {
  TEST_CASE("ascii_lower folds exactly A to Z and leaves every other byte as it is") {
    for (int b = 0; b < 256; ++b) {
      char const c = static_cast<char>(b);
      char const want = (b >= 'A' && b <= 'Z') ? static_cast<char>(b + 32) : c;
      CHECK(ascii_lower(c) == want);
    }
  }

  TEST_CASE("ascii_to_lower and ascii_iequals ignore ASCII case only, never UTF-8 letters") {
    CHECK(ascii_to_lower("HTTPS://Example.COM:9000") == "https://example.com:9000");
    CHECK(ascii_iequals("Content-Length", "content-length"));
    CHECK_FALSE(ascii_iequals("Content-Length", "content-lengt"));
    CHECK_FALSE(ascii_iequals("\xC3\x89t\xC3\xA9", "\xC3\xA9t\xC3\xA9"));  // "Été" vs "été"
    static_assert(ascii_iequals("HOST", "host"));
  }

  TEST_CASE("append_base64 appends after existing text and pads as RFC 4648 section 10 does") {
    std::string out = "x=";
    append_base64(out, "foob");
    CHECK(out == "x=Zm9vYg==");
    out.clear();
    append_base64(out, std::string("\xff\x00\x80", 3));
    CHECK(out == "/wCA");
  }

  TEST_CASE("append_printable writes a single line with C-style escapes") {
    std::string out;
    append_printable(out, std::string("a\\b\n\t\x01\x7f\0z\xC3\xA9", 11));
    CHECK(out == "a\\\\b\\x0a\\x09\\x01\\x7f\\x00z\xC3\xA9");
  }
}
