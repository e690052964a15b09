// HTTP-date (RFC 9110 §5.6.7): parsing the three forms, writing IMF-fixdate.
#include "presign/core/http_date.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace presign {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// Fixed-width decimal field; `space_pad` accepts a leading space (asctime's day).
std::optional<int> fixed_int(std::string_view s, bool space_pad = false) {
  int v = 0;
  bool any = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char const c = s[i];
    if (c == ' ' && space_pad && !any && i + 1 < s.size()) continue;
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return v;
}

std::optional<unsigned> month_number(std::string_view m) {
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == m) return i + 1;
  }
  return std::nullopt;
}

bool alpha_only(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

// "HH:MM:SS"
std::optional<std::chrono::seconds> time_of_day(std::string_view s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  auto const h = fixed_int(s.substr(0, 2));
  auto const m = fixed_int(s.substr(3, 2));
  auto const sec = fixed_int(s.substr(6, 2));
  // 60 allows a leap second as RFC 5322 does.
  if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
  return std::chrono::hours(*h) + std::chrono::minutes(*m) + std::chrono::seconds(*sec);
}

std::optional<std::chrono::system_clock::time_point> make_time(int year, unsigned month, int day,
                                                               std::chrono::seconds tod) {
  using namespace std::chrono;
  year_month_day const ymd{std::chrono::year{year}, std::chrono::month{month},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  // A system_clock time point counts nanoseconds in 64 bits here (years 1678 to 2261): a date
  // outside that range would overflow, so it is refused rather than wrapped.
  sys_seconds const t = sys_days(ymd) + tod;
  if (t < floor<seconds>(system_clock::time_point::min()) + days(1) ||
      t > floor<seconds>(system_clock::time_point::max()) - days(1)) {
    return std::nullopt;
  }
  return time_point_cast<system_clock::duration>(t);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view s, std::chrono::system_clock::time_point now) noexcept {
  auto const comma = s.find(',');
  if (comma != std::string_view::npos) {
    if (!alpha_only(s.substr(0, comma))) return std::nullopt;
    if (comma + 1 >= s.size() || s[comma + 1] != ' ') return std::nullopt;
    auto const rest = s.substr(comma + 2);
    if (rest.size() == 24 && rest[2] == ' ' && rest[6] == ' ' && rest[11] == ' ' &&
        rest.substr(20) == " GMT") {
      // IMF-fixdate: "06 Nov 1994 08:49:37 GMT"
      auto const day = fixed_int(rest.substr(0, 2));
      auto const mon = month_number(rest.substr(3, 3));
      auto const year = fixed_int(rest.substr(7, 4));
      auto const tod = time_of_day(rest.substr(12, 8));
      if (!day || !mon || !year || !tod) return std::nullopt;
      return make_time(*year, *mon, *day, *tod);
    }
    if (rest.size() == 22 && rest[2] == '-' && rest[6] == '-' && rest[9] == ' ' &&
        rest.substr(18) == " GMT") {
      // RFC 850: "06-Nov-94 08:49:37 GMT". A two-digit year more than 50 years in the
      // future means the most recent past year with those digits (RFC 9110 §5.6.7).
      auto const day = fixed_int(rest.substr(0, 2));
      auto const mon = month_number(rest.substr(3, 3));
      auto const yy = fixed_int(rest.substr(7, 2));
      auto const tod = time_of_day(rest.substr(10, 8));
      if (!day || !mon || !yy || !tod) return std::nullopt;
      int const this_year = static_cast<int>(
          std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
      int year = this_year / 100 * 100 + *yy;
      if (year > this_year + 50) year -= 100;
      return make_time(year, *mon, *day, *tod);
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ' &&
      alpha_only(s.substr(0, 3))) {
    auto const mon = month_number(s.substr(4, 3));
    auto const day = fixed_int(s.substr(8, 2), /*space_pad=*/true);
    auto const tod = time_of_day(s.substr(11, 8));
    auto const year = fixed_int(s.substr(20, 4));
    if (!day || !mon || !year || !tod) return std::nullopt;
    return make_time(*year, *mon, *day, *tod);
  }
  return std::nullopt;
}

std::string format_http_date(SigningTime t) {
  auto const day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day const ymd(day);
  std::chrono::weekday const wd(day);
  std::chrono::hh_mm_ss const hms(t - day);
  char buf[40];
  int const n = std::snprintf(
      buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[wd.c_encoding()].data(),
      static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1].data(),
      static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
      static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace presign
