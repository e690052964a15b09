// HTTP dates (http_date.hpp): the three forms of RFC 9110 §5.6.7 (its own examples, all the
// same instant) and IMF-fixdate writing, which x-ms-date uses.
#include "presign/core/http_date.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace presign;
using namespace std::chrono;

TEST_SUITE("core.http_date") {
  TEST_CASE("the three RFC 9110 forms of its example parse to the same instant") {
    auto const want = sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s;
    auto const now = sys_days{year{2024} / 1 / 1} + 0s;
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now) == want);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now) == want);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994", now) == want);
    CHECK(parse_http_date("Sun Nov 16 08:49:37 1994", now) == want + days{10});
  }

  TEST_CASE("an RFC 850 two-digit year more than 50 years ahead means the past century") {
    auto const now = sys_days{year{2024} / 6 / 1} + 0s;
    CHECK(parse_http_date("Friday, 01-Jan-74 00:00:00 GMT", now) == sys_days{year{2074} / 1 / 1});
    CHECK(parse_http_date("Saturday, 01-Jan-75 00:00:00 GMT", now) == sys_days{year{1975} / 1 / 1});
  }

  TEST_CASE("parse_http_date refuses other shapes, impossible dates and out-of-range times") {
    auto const now = sys_days{year{2024} / 1 / 1} + 0s;
    for (char const* bad : {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                            "Sun,06 Nov 1994 08:49:37 GMT", " Sun, 06 Nov 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 6 Nov 1994 08:49:37 GMT",
                            "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
                            "Sun, 06 Nov 1994 08:49:61 GMT", "S1n, 06 Nov 1994 08:49:37 GMT",
                            "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
                            "Sun Nov  6 08:49:37 94", "1994-11-06T08:49:37Z", "120"}) {
      INFO(bad);
      CHECK_FALSE(parse_http_date(bad, now).has_value());
    }
    // Dates a system_clock time point cannot hold are refused, never wrapped around.
    CHECK_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", now).has_value());
    CHECK_FALSE(parse_http_date("Sat, 01 Jan 0000 00:00:00 GMT", now).has_value());
    // A leap second is allowed, as RFC 5322 allows it.
    CHECK(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT", now).has_value());
  }

  TEST_CASE("format_http_date writes IMF-fixdate in GMT") {
    CHECK(format_http_date(sys_days{year{1994} / 11 / 6} + 8h + 49min + 37s) ==
          "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(format_http_date(sys_days{year{2024} / 2 / 29} + 23h + 59min + 59s) ==
          "Thu, 29 Feb 2024 23:59:59 GMT");
    CHECK(format_http_date(sys_days{year{2000} / 1 / 1}) == "Sat, 01 Jan 2000 00:00:00 GMT");
  }

  TEST_CASE("format_http_date output parses back to the same instant") {
    auto const now = sys_days{year{2024} / 1 / 1} + 0s;
    for (auto t :
         {sys_days{year{1970} / 1 / 1} + 0s, sys_days{year{2038} / 1 / 19} + 3h + 14min + 8s,
          sys_days{year{2200} / 12 / 31} + 23h + 59min + 59s}) {
      auto const back = parse_http_date(format_http_date(t), now);
      REQUIRE(back.has_value());
      CHECK(*back == t);
    }
  }
}
