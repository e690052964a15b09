#pragma once
/// Time values the signers and the command line share: signing instants and durations.

#include "presign/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign {

/// The instant a whole batch is signed at. Fixed once per job so every URL of the job is a
/// pure function of the object (golden tests are exact; a resumed job signs identically).
using SigningTime = std::chrono::sys_seconds;

/// Parses RFC 3339 (`2013-05-24T00:00:00Z`, `2013-05-24T02:00:00+02:00`, fractional seconds
/// truncated, `t`/`z` and a space separator accepted). Rejects anything else with a message.
Result<SigningTime> parse_rfc3339(std::string_view text);

/// `2013-05-24T00:00:00Z`.
std::string format_rfc3339(SigningTime t);

/// Writes `YYYYMMDDTHHMMSSZ` (16 chars) and `YYYYMMDD` (8 chars) for SigV4-style dates.
void format_amz_date(SigningTime t, char (&iso)[17], char (&day)[9]) noexcept;

/// Parses an expiry: plain seconds (`3600`) or a number with one unit `s`, `m`, `h`, `d`
/// (`90s`, `15m`, `12h`, `7d`). Overflow, junk and any sign (`-0`, `+5`) are kUsage errors;
/// range checks are the signer's.
Result<std::int64_t> parse_duration_seconds(std::string_view text);

}  // namespace presign
