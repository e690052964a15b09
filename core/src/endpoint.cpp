// Endpoints and URL authorities (endpoint.hpp): one parse, one set of rules, one wording.
#include "presign/core/endpoint.hpp"

#include "presign/core/text.hpp"

#include <algorithm>
#include <charconv>

namespace presign {
namespace {

bool is_control_or_space(char c) noexcept {
  auto const u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

}  // namespace

char const* split_host_port(std::string_view authority, HostPort& out) noexcept {
  out = HostPort{};
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto const close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 literal";
    host = authority.substr(1, close - 1);
    out.ipv6 = true;
    auto const after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "junk after the IPv6 literal";
      port = after.substr(1);
      has_port = true;
    }
  } else {
    auto const colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
      if (host.find(':') != std::string_view::npos) return "an IPv6 address needs brackets";
    }
  }
  if (host.empty()) return "empty host";
  if (has_port) {
    if (port.empty()) return "empty port";
    unsigned value = 0;
    auto const [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    // from_chars accepts no sign and no spaces, so only digits get here.
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return "bad port";
    }
    out.number = static_cast<std::uint16_t>(value);
  }
  out.host = host;
  out.port = port;
  return nullptr;
}

Result<Endpoint> parse_endpoint(std::string_view text, EndpointRules const& rules) {
  auto quoted = [&] {
    std::string q = "'";
    append_printable(q, text);
    q += '\'';
    return q;
  };
  auto bad = [&](std::string_view why) {
    std::string d(rules.what);
    d.append(" ").append(quoted()).append(" must be ");
    d.append(rules.require_scheme ? "scheme://" : "[scheme://]");
    d.append(rules.allow_path ? "host[:port][/path]" : "host[:port]");
    d.append(": ").append(why);
    return make_error(ErrorKind::kUsage, std::move(d));
  };

  Endpoint e;
  std::string_view rest = text;
  auto const sep = rest.find("://");
  if (sep != std::string_view::npos) {
    e.scheme = ascii_to_lower(rest.substr(0, sep));
    if (e.scheme != "http" && e.scheme != "https") {
      return make_error(ErrorKind::kUsage,
                        std::string(rules.what) + " scheme must be http or https: " + quoted());
    }
    rest.remove_prefix(sep + 3);
  } else if (rules.require_scheme) {
    return make_error(ErrorKind::kUsage, std::string(rules.what) + " " + quoted() +
                                             " needs a scheme (http:// or https://)");
  }
  if (std::any_of(rest.begin(), rest.end(), is_control_or_space)) {
    return bad("spaces and control characters are not allowed");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad("a query or fragment is not allowed");
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  auto const slash = rest.find('/');
  std::string_view const authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return bad("user info (user@) is not allowed");
  }
  if (slash != std::string_view::npos && !rules.allow_path) return bad("a path is not allowed");
  HostPort hp;
  if (char const* why = split_host_port(authority, hp)) return bad(why);
  e.authority = std::string(authority);
  e.host = std::string(hp.ipv6 ? authority.substr(0, hp.host.size() + 2) : hp.host);
  e.port = hp.number;
  if (slash != std::string_view::npos) e.path = std::string(rest.substr(slash));
  return e;
}

}  // namespace presign
