// libFuzzer target: HTTP dates (core/http_date.hpp). For any input, checks:
//  - parse_http_date never reads out of bounds (ASan) and gives the same answer twice;
//  - an accepted date is one a system_clock time point holds (no overflow), and
//    format_http_date of it parses back to the same instant;
//  - an accepted IMF-fixdate whose day name is the true weekday is written back byte for
//    byte (the writer is the parser's inverse on canonical input).
// Run by scripts/fuzz.sh; seeds in corpus/http_date/, past crashes in regressions/http_date/.

#include "fuzz_check.hpp"
#include "presign/core/http_date.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int http_date_one(std::uint8_t const* data, std::size_t size) {
  using namespace std::chrono;
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  auto const now = sys_days{year{2024} / 6 / 1} + 12h;
  auto const t = parse_http_date(in, now);
  PRESIGN_FUZZ_CHECK(parse_http_date(in, now) == t);
  if (!t) return 0;
  auto const secs = floor<seconds>(*t);
  PRESIGN_FUZZ_CHECK(secs == *t);
  auto const y = static_cast<int>(year_month_day{floor<days>(secs)}.year());
  // What a system_clock time point holds; the parser refuses the rest instead of overflowing.
  PRESIGN_FUZZ_CHECK(y >= 1677 && y <= 2262);
  std::string const text = format_http_date(secs);
  auto const back = parse_http_date(text, now);
  PRESIGN_FUZZ_CHECK(back.has_value() && *back == *t);
  if (in.size() == 29 && in.ends_with(" GMT") && in.substr(3, 2) == ", " &&
      in.substr(23, 2) != "60") {
    PRESIGN_FUZZ_CHECK((text == in) == (text.substr(0, 3) == in.substr(0, 3)));
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::http_date_one(data, size);
}
#endif
