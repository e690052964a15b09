#pragma once
/// HTTP dates (RFC 9110 §5.6.7): the parser of all three forms a server may send (a
/// Retry-After value, a Date header) and the IMF-fixdate writer (Azure's x-ms-date).

#include "presign/core/time.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace presign {

/// Parses an HTTP-date in any of its three forms, exactly as written (no surrounding spaces):
///   IMF-fixdate  `Sun, 06 Nov 1994 08:49:37 GMT`
///   RFC 850      `Sunday, 06-Nov-94 08:49:37 GMT` (a two-digit year more than 50 years after
///                `now`'s year is the most recent past year with those digits)
///   asctime      `Sun Nov  6 08:49:37 1994`
/// The day name is not checked against the date (RFC 9110 lets a recipient ignore it);
/// impossible dates (`31 Feb`), hours past 23, minutes past 59 and seconds past 60 are
/// refused, and so are dates a `system_clock::time_point` cannot hold (outside about 1678 to
/// 2261 with libstdc++'s nanoseconds). No allocation; never throws.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now) noexcept;

/// IMF-fixdate, the preferred form: `Sun, 06 Nov 1994 08:49:37 GMT` (29 characters for
/// years 0000 to 9999).
std::string format_http_date(SigningTime t);

}  // namespace presign
