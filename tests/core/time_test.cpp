// Signing time (time.hpp): RFC 3339 parsing and formatting, the SigV4 date stamps and
// expiry durations. Moved from tests/signers/primitives_test.cpp with the code it tests.
#include "presign/core/time.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

using namespace presign;

namespace {

SigningTime at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return SigningTime{sys_days{year{y} / month{mo} / day{d}}.time_since_epoch() + hours{h} +
                     minutes{mi} + seconds{s}};
}

}  // namespace

TEST_SUITE("core.time") {
  TEST_CASE("parse_rfc3339 accepts UTC, offsets, fractions and the allowed separators") {
    CHECK(parse_rfc3339("2013-05-24T00:00:00Z").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24t00:00:00z").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24 12:34:56Z").value() == at(2013, 5, 24, 12, 34, 56));
    CHECK(parse_rfc3339("2013-05-24T02:00:00+02:00").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24T01:00:00+02:00").value() == at(2013, 5, 23, 23));
    CHECK(parse_rfc3339("2013-05-23T18:30:00-05:30").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24T00:00:00+00:00").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24T00:00:00-00:00").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24T00:00:00.999999999Z").value() == at(2013, 5, 24));
    CHECK(parse_rfc3339("2013-05-24T00:00:59.5+01:00").value() == at(2013, 5, 23, 23, 0, 59));
    CHECK(parse_rfc3339("2024-02-29T23:59:59Z").value() == at(2024, 2, 29, 23, 59, 59));
    CHECK(parse_rfc3339("2000-02-29T00:00:00Z").value() == at(2000, 2, 29));
    CHECK(parse_rfc3339("1970-01-01T00:00:00Z").value().time_since_epoch().count() == 0);
  }

  TEST_CASE("parse_rfc3339 rejects malformed text and impossible dates with a message") {
    for (char const* bad : {"",
                            "2013-05-24",
                            "2013-05-24T00:00:00",
                            "2013-05-24T00:00Z",
                            "2013-05-24T00:00:00ZZ",
                            "2013-05-24T00:00:00Z ",
                            " 2013-05-24T00:00:00Z",
                            "2013/05/24T00:00:00Z",
                            "2013-05-24X00:00:00Z",
                            "13-05-24T00:00:00Z",
                            "2013-5-24T00:00:00Z",
                            "2013-05-24T00:00:00.Z",
                            "2013-05-24T00:00:00,5Z",
                            "2013-05-24T00:00:00+0200",
                            "2013-05-24T00:00:00+2:00",
                            "2013-05-24T00:00:00+02",
                            "2013-05-24T00:00:00+24:00",
                            "2013-05-24T00:00:00+02:60",
                            "2013-05-24T00:00:00UTC",
                            "2023-02-29T00:00:00Z",
                            "1900-02-29T00:00:00Z",
                            "2024-04-31T00:00:00Z",
                            "2024-13-01T00:00:00Z",
                            "2024-00-10T00:00:00Z",
                            "2024-01-00T00:00:00Z",
                            "2024-01-01T24:00:00Z",
                            "2024-01-01T23:60:00Z",
                            "2024-12-31T23:59:60Z",
                            "2024-01-01T-1:00:00Z",
                            "abcd-01-01T00:00:00Z"}) {
      INFO("'" << bad << "'");
      auto const r = parse_rfc3339(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail.find(std::string("'") + bad + "'") != std::string::npos);
    }
  }

  TEST_CASE("format_rfc3339 writes UTC with a Z and round-trips through parse_rfc3339") {
    CHECK(format_rfc3339(at(2013, 5, 24)) == "2013-05-24T00:00:00Z");
    CHECK(format_rfc3339(at(2024, 2, 29, 23, 59, 59)) == "2024-02-29T23:59:59Z");
    CHECK(format_rfc3339(at(1999, 12, 31, 1, 2, 3)) == "1999-12-31T01:02:03Z");
    for (auto t : {at(1970, 1, 1), at(2038, 1, 19, 3, 14, 8), at(2099, 12, 31, 23, 59, 59)}) {
      CHECK(parse_rfc3339(format_rfc3339(t)).value() == t);
    }
  }

  TEST_CASE("format_amz_date writes the SigV4 date-time and day stamps") {
    char iso[17];
    char day[9];
    format_amz_date(at(2015, 8, 30, 12, 36, 0), iso, day);
    CHECK(std::string(iso) == "20150830T123600Z");
    CHECK(std::string(day) == "20150830");
    format_amz_date(at(2024, 2, 29, 23, 59, 59), iso, day);
    CHECK(std::string(iso) == "20240229T235959Z");
    CHECK(std::string(day) == "20240229");
    format_amz_date(at(2000, 1, 1), iso, day);
    CHECK(std::string(iso) == "20000101T000000Z");
  }

  TEST_CASE("parse_duration_seconds reads plain seconds and one s, m, h or d unit") {
    CHECK(parse_duration_seconds("3600").value() == 3600);
    CHECK(parse_duration_seconds("0").value() == 0);
    CHECK(parse_duration_seconds("90s").value() == 90);
    CHECK(parse_duration_seconds("15m").value() == 900);
    CHECK(parse_duration_seconds("12h").value() == 43200);
    CHECK(parse_duration_seconds("7d").value() == 604800);
    CHECK(parse_duration_seconds("0007d").value() == 604800);
    CHECK(parse_duration_seconds("9223372036854775807").value() ==
          std::numeric_limits<std::int64_t>::max());
    CHECK(parse_duration_seconds("106751991167300d").value() == 106751991167300LL * 86400);
  }

  TEST_CASE("parse_duration_seconds rejects junk, negatives and overflow") {
    for (char const* bad : {"",
                            "s",
                            "m",
                            "-5",
                            "-5s",
                            "+5",
                            " 5",
                            "5 ",
                            "5x",
                            "5S",
                            "1.5h",
                            "5ms",
                            "5d5",
                            "1e3",
                            "0x10",
                            "9223372036854775808",
                            "9223372036854775807s0",
                            "153722867280912931m",
                            "2562047788015216h",
                            "106751991167301d",
                            "99999999999999999999999d"}) {
      INFO("'" << bad << "'");
      auto const r = parse_duration_seconds(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
    }
  }

  TEST_CASE("parse_duration_seconds refuses a sign even on zero with a message that says so") {
    // from_chars reads "-0" as 0, which a "v < 0" check lets through; a duration is written
    // without a sign, so every sign is refused, whatever the number.
    for (char const* bad : {"-0", "+0", "-0s", "-00", "-0d", "+5", "-5", "+7d", "--1", "+-1"}) {
      INFO("'" << bad << "'");
      auto const r = parse_duration_seconds(bad);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::kUsage);
      CHECK(r.error().detail.find("sign") != std::string::npos);
      CHECK(r.error().detail.find(bad) != std::string::npos);
    }
  }
}
