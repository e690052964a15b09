// URLs for the HTTP client: parse_url, describe_request (what errors may show of a URL),
// header lookup, and the character checks shared by the client's files (http_detail.hpp).

#include "http_detail.hpp"

#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include <algorithm>
#include <charconv>

namespace presign::io {

namespace http_detail {

Error net_error(ErrorKind kind, std::string_view code, std::string detail) {
  Error e;
  e.kind = kind;
  e.detail = std::move(detail);
  e.provider_code = std::string(code);
  return e;
}

bool has_ctl_or_space(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool has_crlf_or_nul(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

}  // namespace http_detail

using http_detail::has_ctl_or_space;
using http_detail::net_error;

// ---------------------------------------------------------------------------------------------
// URL handling

Result<ParsedUrl> parse_url(std::string_view url) {
  auto bad = [&](std::string const& why) -> Error {
    return net_error(ErrorKind::kUsage, transport_code::kInvalidUrl,
                     "invalid URL '" + describe_request("", url).substr(1) + "': " + why);
  };
  ParsedUrl out;
  std::string_view rest;
  auto const sep = url.find("://");
  if (sep == std::string_view::npos) return bad("expected http:// or https://");
  auto const scheme = url.substr(0, sep);
  if (ascii_iequals(scheme, "https")) {
    out.tls = true;
    out.port = 443;
  } else if (ascii_iequals(scheme, "http")) {
    out.port = 80;
  } else {
    return bad("unsupported scheme (http and https only)");
  }
  rest = url.substr(sep + 3);
  auto const auth_end = rest.find_first_of("/?#");
  auto const authority = rest.substr(0, auth_end);
  std::string_view target =
      auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) return bad("user-info is not supported");
  if (!target.empty() && target.front() == '#') return bad("fragments are not sent");
  if (target.find('#') != std::string_view::npos) return bad("fragments are not sent");
  if (has_ctl_or_space(target)) return bad("spaces or control characters in the target");

  HostPort hp;  // core's split: the same host and port rules as every endpoint
  if (char const* why = split_host_port(authority, hp)) return bad(why);
  std::string_view const host = hp.host;
  bool const ipv6 = hp.ipv6;
  if (has_ctl_or_space(host)) return bad("bad character in the host");
  bool default_port = true;
  if (hp.number != 0) {
    default_port = hp.number == out.port;
    out.port = hp.number;
  }
  out.host = std::string(host);
  out.host_header = ipv6 ? "[" + out.host + "]" : out.host;
  if (!default_port) out.host_header += ":" + std::to_string(out.port);
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

std::string describe_request(std::string_view method, std::string_view url) {
  // Cut the query and fragment (signatures, tokens) and any user-info (passwords).
  auto const cut = url.find_first_of("?#");
  std::string_view shown = url.substr(0, cut);
  auto const sep = shown.find("://");
  std::string out(method);
  out += ' ';
  if (sep != std::string_view::npos) {
    auto const auth_begin = sep + 3;
    auto const auth_end = shown.find('/', auth_begin);
    auto const at = shown.substr(0, auth_end).rfind('@');
    if (at != std::string_view::npos && at >= auth_begin) {
      out.append(shown.substr(0, auth_begin));
      shown = shown.substr(at + 1);
    }
  }
  out.append(shown);
  return out;
}

std::string_view HttpResponse::header(std::string_view name) const noexcept {
  for (auto const& [n, v] : headers) {
    if (ascii_iequals(n, name)) return v;
  }
  return {};
}

bool HttpResponse::has_header(std::string_view name) const noexcept {
  return std::any_of(headers.begin(), headers.end(),
                     [&](auto const& h) { return ascii_iequals(h.first, name); });
}

}  // namespace presign::io
