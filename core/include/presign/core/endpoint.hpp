#pragma once
/// The one parser of endpoints (`scheme://host[:port][/path]`), for every signer and lister,
/// and of URL authorities (`host[:port]`, `[v6]:port`) for the HTTP client. One policy: an
/// endpoint never holds a control character, a space, user info (`user@`), a query or a
/// fragment, an empty host or a port outside 1..65535. Each caller adds its own rules on top
/// (GCS's optional scheme, Azure's path, the S3 lister's host names for virtual hosting).

#include "presign/core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace presign {

/// `host[:port]` split out of an authority. Views into the text given to `split_host_port`.
struct HostPort {
  std::string_view host;     ///< without the brackets of an IPv6 literal
  std::string_view port;     ///< the digits after ':', empty when no port was written
  std::uint16_t number = 0;  ///< the port's value, 0 when none was written
  bool ipv6 = false;         ///< the host was written in brackets
};

/// Splits `authority` into host and port. On failure returns why (a static string: "empty
/// host", "empty port", "bad port", "unterminated IPv6 literal", "junk after the IPv6
/// literal", "an IPv6 address needs brackets"); on success returns nullptr. Checks only the
/// shape and the port: the host's characters are the caller's. No allocation.
[[nodiscard]] char const* split_host_port(std::string_view authority, HostPort& out) noexcept;

/// What an endpoint may be, and what messages call it.
struct EndpointRules {
  std::string_view what = "endpoint";  ///< "endpoint", "hostname", "emulator hostname"...
  bool require_scheme = true;          ///< false: `host[:port]` alone is accepted (GCS)
  bool allow_path = false;             ///< true: `/path` after the authority (Azure)
};

/// A parsed endpoint. Trailing '/' are dropped; case is kept as written except the scheme's.
struct Endpoint {
  std::string scheme;      ///< "http" or "https"; empty when no scheme was written
  std::string authority;   ///< `host[:port]` as written (brackets kept)
  std::string host;        ///< the host as written, brackets kept ("[::1]")
  std::uint16_t port = 0;  ///< 0 when none was written
  std::string path;        ///< "" or "/a/b" (allow_path only)
};

/// Parses `text` under `rules`. kUsage errors name `rules.what`, quote `text` with control
/// characters escaped (`\x09`), and give the reason:
///   "endpoint 'x' needs a scheme (http:// or https://)"
///   "endpoint scheme must be http or https: 'ftp://x'"
///   "endpoint 'http://u@h' must be scheme://host[:port]: user info (user@) is not allowed"
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text, EndpointRules const& rules);

}  // namespace presign
