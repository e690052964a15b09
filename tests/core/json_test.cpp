#include "presign/core/json.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {
std::string js(std::string_view s) {
  std::string out;
  presign::append_json_string(out, s);
  return out;
}
}  // namespace

TEST_SUITE("core.json") {
  TEST_CASE("a JSON string escapes quotes, backslashes and control bytes") {
    CHECK(js("plain") == "\"plain\"");
    CHECK(js("a\"b\\c") == R"("a\"b\\c")");
    CHECK(js("\n\r\t\b\f") == R"("\n\r\t\b\f")");
    CHECK(js(std::string("\x01\x1f\x7f", 3)) == R"("\u0001\u001f\u007f")");
    CHECK(js(std::string("nul\0x", 5)) == R"("nul\u0000x")");
  }

  TEST_CASE("a JSON string keeps UTF-8 and replaces invalid bytes with U+FFFD") {
    CHECK(js("caf\xC3\xA9 \xF0\x9F\x98\x80") == "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
    CHECK(js("a\xFF"
             "b") ==
          "\"a\xEF\xBF\xBD"
          "b\"");
    CHECK(js("\xC3") == "\"\xEF\xBF\xBD\"");                                  // truncated sequence
    CHECK(js("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  }
}
