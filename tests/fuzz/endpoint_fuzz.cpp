// libFuzzer target: the endpoint parser (core/endpoint.hpp). For any input and each of the
// four rule sets (scheme required or not, path allowed or not), checks:
//  - an accepted endpoint holds no control character, space, '?' or '#', nor '@' in its
//    authority; its scheme is http, https or (scheme optional only) empty; its host is not
//    empty; its port is 0 or what split_host_port reads from the authority; a path appears
//    only where allowed, never ending in '/';
//  - the accepted parts written back as text parse again to the same parts;
//  - a refusal is a kUsage error that starts with the rules' name and holds no control byte
//    (the input is quoted escaped).
// Run by scripts/fuzz.sh; seeds in corpus/endpoint/, past crashes in regressions/endpoint/.

#include "fuzz_check.hpp"
#include "presign/core/endpoint.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {
namespace {

// '@' is refused in the authority only: a path may hold it (RFC 3986 pchar).
bool has_forbidden(std::string_view s, bool at_allowed) {
  return std::any_of(s.begin(), s.end(), [&](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || (c == '@' && !at_allowed) || c == '?' || c == '#';
  });
}

}  // namespace

int endpoint_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  for (int mode = 0; mode < 4; ++mode) {
    EndpointRules const rules{
        .what = "--endpoint", .require_scheme = (mode & 1) == 0, .allow_path = (mode & 2) != 0};
    auto const e = parse_endpoint(in, rules);
    if (!e) {
      PRESIGN_FUZZ_CHECK(e.error().kind == ErrorKind::kUsage);
      std::string const& d = e.error().detail;
      PRESIGN_FUZZ_CHECK(d.starts_with("--endpoint"));
      PRESIGN_FUZZ_CHECK(std::none_of(d.begin(), d.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
      }));
      continue;
    }
    PRESIGN_FUZZ_CHECK(e->scheme == "http" || e->scheme == "https" ||
                       (e->scheme.empty() && !rules.require_scheme));
    PRESIGN_FUZZ_CHECK(!has_forbidden(e->authority, false) && !has_forbidden(e->path, true));
    PRESIGN_FUZZ_CHECK(!e->host.empty() && e->authority.starts_with(e->host));
    PRESIGN_FUZZ_CHECK(e->authority.find('/') == std::string::npos);
    PRESIGN_FUZZ_CHECK(e->path.empty() ||
                       (rules.allow_path && e->path.front() == '/' && e->path.back() != '/'));
    HostPort hp;
    PRESIGN_FUZZ_CHECK(split_host_port(e->authority, hp) == nullptr);
    PRESIGN_FUZZ_CHECK(hp.number == e->port);
    std::string const again =
        (e->scheme.empty() ? std::string() : e->scheme + "://") + e->authority + e->path;
    auto const f = parse_endpoint(again, rules);
    PRESIGN_FUZZ_CHECK(f.has_value());
    PRESIGN_FUZZ_CHECK(f->scheme == e->scheme && f->authority == e->authority &&
                       f->host == e->host && f->port == e->port && f->path == e->path);
  }
  HostPort hp;
  if (split_host_port(in, hp) == nullptr) {
    PRESIGN_FUZZ_CHECK(!hp.host.empty());
    PRESIGN_FUZZ_CHECK(hp.port.empty() == (hp.number == 0));
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::endpoint_one(data, size);
}
#endif
