#include "presign/core/time.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace presign {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

Error bad_time(std::string_view text) {
  return make_error(ErrorKind::kUsage, "not an RFC 3339 date-time: '" + std::string(text) +
                                           "' (expected e.g. 2024-01-31T12:00:00Z)");
}

}  // namespace

Result<SigningTime> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, se)) {
    return bad_time(s);
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad_time(s);
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad_time(s);
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad_time(s);
  }
  if (pos != s.size()) return bad_time(s);
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  // RFC 3339 allows second 60 (leap second); signing clocks have no use for it.
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return bad_time(s);
  return SigningTime{sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{se} -
                     minutes{offset_minutes}};
}

std::string format_rfc3339(SigningTime t) {
  using namespace std::chrono;
  auto const dp = floor<days>(t);
  year_month_day ymd{dp};
  hh_mm_ss hms{t - dp};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

void format_amz_date(SigningTime t, char (&iso)[17], char (&day)[9]) noexcept {
  using namespace std::chrono;
  auto const dp = floor<days>(t);
  year_month_day ymd{dp};
  hh_mm_ss hms{t - dp};
  auto put = [](char* p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(iso, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  put(iso + 4, static_cast<unsigned>(ymd.month()), 2);
  put(iso + 6, static_cast<unsigned>(ymd.day()), 2);
  iso[8] = 'T';
  put(iso + 9, static_cast<unsigned>(hms.hours().count()), 2);
  put(iso + 11, static_cast<unsigned>(hms.minutes().count()), 2);
  put(iso + 13, static_cast<unsigned>(hms.seconds().count()), 2);
  iso[15] = 'Z';
  iso[16] = '\0';
  for (int i = 0; i < 8; ++i) day[i] = iso[i];
  day[8] = '\0';
}

Result<std::int64_t> parse_duration_seconds(std::string_view text) {
  // A duration is written without a sign. from_chars would read "-0" as 0 (and "-5" as a
  // negative the range check catches), so a sign is refused up front, whatever follows it.
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    return make_error(ErrorKind::kUsage,
                      "not a duration: '" + std::string(text) +
                          "' (a duration has no sign; use seconds, or e.g. 90s, 15m, 12h, 7d)");
  }
  std::string_view num = text;
  std::int64_t mult = 1;
  if (!num.empty()) {
    switch (num.back()) {
      case 's':
        mult = 1;
        num.remove_suffix(1);
        break;
      case 'm':
        mult = 60;
        num.remove_suffix(1);
        break;
      case 'h':
        mult = 3600;
        num.remove_suffix(1);
        break;
      case 'd':
        mult = 86400;
        num.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc{} || ptr != num.data() + num.size() || v < 0 ||
      v > std::numeric_limits<std::int64_t>::max() / mult) {
    return make_error(ErrorKind::kUsage, "not a duration: '" + std::string(text) +
                                             "' (use seconds, or e.g. 90s, 15m, 12h, 7d)");
  }
  return v * mult;
}

}  // namespace presign
