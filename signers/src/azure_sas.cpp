// Azure Blob service SAS (shared key): validation and the staged API (fields, string to sign,
// signature, token). See azure_sas.hpp for the layout and its sources; the batch hot path is
// azure_sas_signer.cpp.
#include "presign/signers/azure_sas.hpp"

#include "azure_sas_detail.hpp"

#include "presign/core/endpoint.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace presign::signers::azure {
namespace {

using namespace std::string_view_literals;
using detail::Cleanse;
using detail::Endpoint;
using detail::validate_target;

// Published Blob service versions whose shared-key service SAS uses the 16-field string to
// sign. 2020-12-06 … 2026-06-06: Azurite 3.37.0's ValidAPIVersions (its verifier uses the
// 16-field layout for every sv >= "2020-12-06"); 2026-10-06: azure-sdk-for-cpp's SasVersion,
// same 16 fields (tests/vectors/azure-sas/NOTES.md, source 2). Sorted.
constexpr std::array kSasVersions = {
    "2020-12-06"sv, "2021-02-12"sv, "2021-04-10"sv, "2021-06-08"sv, "2021-08-06"sv, "2021-10-04"sv,
    "2021-12-02"sv, "2022-11-02"sv, "2023-01-03"sv, "2023-08-03"sv, "2023-11-03"sv, "2024-02-04"sv,
    "2024-05-04"sv, "2024-08-04"sv, "2024-11-04"sv, "2025-01-05"sv, "2025-05-05"sv, "2025-07-05"sv,
    "2025-11-05"sv, "2026-02-06"sv, "2026-04-06"sv, "2026-06-06"sv, "2026-10-06"sv,
};

// Permission letters in the order the service requires (Python SDK docstrings:
// BlobSasPermissions "racwdxytmei", ContainerSasPermissions "racwdxyltfmei").
constexpr std::string_view kBlobPermissionOrder = "racwdxytmei";
constexpr std::string_view kContainerPermissionOrder = "racwdxyltfmei";

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }
Error config_error(std::string m) { return make_error(ErrorKind::kConfig, std::move(m)); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// Storage account names: 3-24 lower-case letters and digits.
bool valid_account(std::string_view a) {
  return a.size() >= 3 && a.size() <= 24 && std::all_of(a.begin(), a.end(), is_lower_alnum);
}

// Container names: 3-63 chars of a-z 0-9 '-', starting and ending with a letter or digit, no
// "--"; plus the three system containers.
bool valid_container(std::string_view c) {
  if (c == "$root" || c == "$web" || c == "$logs") return true;
  if (c.size() < 3 || c.size() > 63) return false;
  if (!is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '-') {
      if (c[i - 1] == '-') return false;
    } else if (!is_lower_alnum(c[i])) {
      return false;
    }
  }
  return true;
}

// A snapshot time or version id as the service writes them: 2024-01-02T03:04:05.1234567Z
// (fraction optional, up to 7 digits).
bool valid_snapshot_time(std::string_view s) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < kShape.size() + 1 || s.back() != 'Z') return false;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !is_digit(s[i]) : s[i] != kShape[i]) return false;
  }
  std::string_view frac = s.substr(kShape.size(), s.size() - kShape.size() - 1);
  if (frac.empty()) return true;
  if (frac.front() != '.' || frac.size() < 2 || frac.size() > 8) return false;
  return std::all_of(frac.begin() + 1, frac.end(), is_digit);
}

// Encryption scope names: 3-63 letters, digits and '-', starting with a letter or digit.
bool valid_encryption_scope(std::string_view s) {
  return s.size() >= 3 && s.size() <= 63 && is_alnum(s.front()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// One dotted-quad IPv4 address, strictly: four decimal octets 0-255, no leading zeros (which
// some parsers read as octal), nothing else.
bool parse_ipv4(std::string_view s, std::uint32_t& out) {
  std::uint32_t v = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return false;
      s.remove_prefix(1);
    }
    std::size_t n = 0;
    unsigned octet = 0;
    while (n < s.size() && n < 4 && is_digit(s[n])) {
      octet = octet * 10 + static_cast<unsigned>(s[n] - '0');
      ++n;
    }
    if (n == 0 || n > 3 || octet > 255 || (n > 1 && s[0] == '0')) return false;
    v = (v << 8) | octet;
    s.remove_prefix(n);
  }
  if (!s.empty()) return false;
  out = v;
  return true;
}

std::string format_ipv4(std::uint32_t v) {
  return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xFF) + "." +
         std::to_string((v >> 8) & 0xFF) + "." + std::to_string(v & 0xFF);
}

// Appends `value` as Python's urllib.parse.quote(value) does (safe='/'): RFC 3986 unreserved
// characters and '/' stay, every other byte becomes %XX.
void append_quoted(std::string& out, std::string_view value) {
  append_uri_encoded(out, value, /*keep_slash=*/true);
}

Result<Endpoint> parse_endpoint(std::string const& endpoint, std::string const& account) {
  if (endpoint.empty()) return Endpoint{"https://" + account + ".blob.core.windows.net", true};
  auto ep = presign::parse_endpoint(endpoint, EndpointRules{.allow_path = true});
  if (!ep) return ep.error();
  bool const https = ep->scheme == "https";
  return Endpoint{ep->scheme + "://" + ep->authority + ep->path, https};
}

// The account, the container and the endpoint (everything but the key and the SAS fields).
Result<Endpoint> validate_names(AzureSasConfig const& config) {
  if (!valid_account(config.account)) {
    return usage("'" + config.account +
                 "' is not a valid storage account name (3-24 lower-case "
                 "letters and digits)");
  }
  if (!valid_container(config.container)) {
    return usage("'" + config.container +
                 "' is not a valid container name (3-63 lower-case "
                 "letters, digits and single hyphens, starting and ending with a letter or "
                 "digit; or $root, $web, $logs)");
  }
  return parse_endpoint(config.endpoint, config.account);
}

Result<std::string> normalize_permissions(std::string_view given, std::string_view order) {
  std::string out;
  for (char c : given) {
    if (order.find(c) == std::string_view::npos) {
      return usage("permission '" + std::string(1, c) + "' in '" + std::string(given) +
                   "' is not one of \"" + std::string(order) + "\"");
    }
    if (given.find(c) != given.rfind(c)) {
      return usage("permission '" + std::string(1, c) + "' appears twice in '" +
                   std::string(given) + "'");
    }
  }
  for (char c : order) {
    if (given.find(c) != std::string_view::npos) out += c;
  }
  return out;
}

// The user delegation fields (skoid ... skv, saoid, scid), or a refusal of saoid/scid
// without a key. The key's fields are written as the service gave them; they only have to be
// present and printable (they become query values and lines of the string to sign).
Result<void> add_delegation_fields(AzureSasConfig const& c, SasFields& f) {
  if (!c.delegation_key) {
    if (!c.authorized_object_id.empty() || !c.correlation_id.empty()) {
      return usage("saoid and scid belong to a user delegation SAS (no user delegation key given)");
    }
    return ok();
  }
  if (!f.identifier.empty()) {
    return usage("a user delegation SAS cannot use a stored access policy (si)");
  }
  UserDelegationKey const& k = *c.delegation_key;
  for (auto const& [name, value] : {std::pair{"SignedOid", &k.signed_oid},
                                    {"SignedTid", &k.signed_tid},
                                    {"SignedStart", &k.signed_start},
                                    {"SignedExpiry", &k.signed_expiry},
                                    {"SignedService", &k.signed_service},
                                    {"SignedVersion", &k.signed_version}}) {
    if (value->empty() || value->size() > 128 || has_control(*value)) {
      return config_error(std::string("the user delegation key's ") + name +
                          " is missing or not 1-128 printable characters");
    }
  }
  for (auto const& [name, value] :
       {std::pair{"saoid", &c.authorized_object_id}, {"scid", &c.correlation_id}}) {
    if (value->size() > 128 || has_control(*value)) {
      return usage(std::string(name) + " must be at most 128 printable characters");
    }
  }
  f.user_delegation = true;
  f.key_oid = k.signed_oid;
  f.key_tid = k.signed_tid;
  f.key_start = k.signed_start;
  f.key_expiry = k.signed_expiry;
  f.key_service = k.signed_service;
  f.key_version = k.signed_version;
  f.authorized_oid = c.authorized_object_id;
  f.correlation_id = c.correlation_id;
  return ok();
}

}  // namespace

Result<Endpoint> detail::validate_target(AzureSasConfig const& config, std::string& key) {
  auto ep = validate_names(config);
  if (!ep) return ep.error();
  if (config.delegation_key) {
    std::string const& value = config.delegation_key->value;
    if (value.empty() || !crypto::base64_decode(value, key) || key.empty()) {
      OPENSSL_cleanse(key.data(), key.size());
      return config_error("the user delegation key for storage account '" + config.account +
                          "' is empty or not valid base64 (the value is not shown)");
    }
    return ep;
  }
  if (config.account_key.empty()) {
    return config_error("the account key for storage account '" + config.account + "' is empty");
  }
  if (!crypto::base64_decode(config.account_key, key) || key.empty()) {
    OPENSSL_cleanse(key.data(), key.size());
    return config_error("the account key for storage account '" + config.account +
                        "' is not valid base64 (the value is not shown)");
  }
  return ep;
}

bool is_supported_sas_version(std::string_view sv) noexcept {
  return std::binary_search(kSasVersions.begin(), kSasVersions.end(), sv);
}

std::string supported_sas_versions() {
  std::string s;
  for (auto v : kSasVersions) {
    if (!s.empty()) s += ", ";
    s += v;
  }
  return s;
}

Result<std::string> normalize_ip_range(std::string_view ip) {
  if (ip.empty()) return std::string();
  std::string const shown(ip);
  if (ip.find(':') != std::string_view::npos) {
    return usage("--ip '" + shown + "': IPv6 is not supported in a SAS (sip takes IPv4 only)");
  }
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  if (auto slash = ip.find('/'); slash != std::string_view::npos) {
    std::string_view const bits = ip.substr(slash + 1);
    unsigned prefix = 0;
    bool ok = !bits.empty() && bits.size() <= 2 &&
              std::all_of(bits.begin(), bits.end(), is_digit) &&
              !(bits.size() == 2 && bits[0] == '0');
    for (char c : bits) prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    if (!ok || prefix > 32 || !parse_ipv4(ip.substr(0, slash), first)) {
      return usage("--ip '" + shown + "' is not an IPv4 CIDR block (A.B.C.D/N, N = 0-32)");
    }
    std::uint32_t const mask = prefix == 0 ? 0U : ~std::uint32_t{0} << (32 - prefix);
    first &= mask;
    last = first | ~mask;
    if (prefix == 32) {
      if (first == 0) return usage("--ip '" + shown + "': sip=0.0.0.0 admits no client");
      return format_ipv4(first);
    }
    return format_ipv4(first) + "-" + format_ipv4(last);
  }
  if (auto dash = ip.find('-'); dash != std::string_view::npos) {
    if (!parse_ipv4(ip.substr(0, dash), first) || !parse_ipv4(ip.substr(dash + 1), last)) {
      return usage("--ip '" + shown + "' is not an IPv4 range (A.B.C.D-E.F.G.H)");
    }
    if (first > last) {
      return usage("--ip '" + shown + "': the range's first address is after its last");
    }
    return format_ipv4(first) + "-" + format_ipv4(last);
  }
  if (!parse_ipv4(ip, first)) {
    return usage("--ip '" + shown +
                 "' is not an IPv4 address, range (A.B.C.D-E.F.G.H) or CIDR "
                 "block (A.B.C.D/N)");
  }
  if (first == 0) return usage("--ip '" + shown + "': sip=0.0.0.0 admits no client");
  return format_ipv4(first);
}

Result<void> validate_config_except_key(AzureSasConfig const& config) {
  auto ep = validate_names(config);
  if (!ep) return ep.error();
  auto f = make_sas_fields(config, SasResource::kBlob);
  if (!f) return f.error();
  return ok();
}

Result<SasFields> make_sas_fields(AzureSasConfig const& c, SasResource resource) {
  SasFields f;
  bool const container = resource == SasResource::kContainer;

  if (!c.policy_id.empty()) {
    if (c.policy_id.size() > 64 || has_control(c.policy_id)) {
      return usage("stored access policy id must be 1-64 printable characters");
    }
    f.identifier = c.policy_id;
  }
  auto perms = normalize_permissions(c.permissions,
                                     container ? kContainerPermissionOrder : kBlobPermissionOrder);
  if (!perms) return perms.error();
  f.permissions = std::move(*perms);
  if (f.permissions.empty() && f.identifier.empty()) {
    return usage(
        "a SAS needs permissions (e.g. --permissions r) unless a stored access policy "
        "supplies them");
  }
  if (!c.expiry && f.identifier.empty()) {
    return usage("a SAS needs an expiry unless a stored access policy supplies it");
  }
  if (c.start && c.expiry && *c.start >= *c.expiry) {
    return usage("the SAS start (" + format_rfc3339(*c.start) + ") is not before its expiry (" +
                 format_rfc3339(*c.expiry) + ")");
  }
  if (c.start) f.start = format_rfc3339(*c.start);
  if (c.expiry) f.expiry = format_rfc3339(*c.expiry);

  auto ip = normalize_ip_range(c.ip);
  if (!ip) return ip.error();
  f.ip = std::move(*ip);

  if (!c.protocol.empty() && c.protocol != "https" && c.protocol != "https,http") {
    return usage("SAS protocol must be https or https,http, not '" + c.protocol + "'");
  }
  f.protocol = c.protocol;

  if (!is_supported_sas_version(c.version)) {
    return usage("SAS version '" + c.version +
                 "' is not supported; this build signs the "
                 "2020-12-06 layout, for versions: " +
                 supported_sas_versions());
  }
  f.version = c.version;

  if (!c.snapshot.empty() && !c.version_id.empty()) {
    return usage("a SAS is for a snapshot or for a version, not both");
  }
  if (container) {
    if (!c.snapshot.empty() || !c.version_id.empty()) {
      return usage("a container SAS cannot name a snapshot or a version");
    }
    f.resource = "c";
  } else if (!c.snapshot.empty()) {
    if (!valid_snapshot_time(c.snapshot)) {
      return usage("snapshot '" + c.snapshot +
                   "' is not a snapshot time like "
                   "2024-01-02T03:04:05.0000000Z");
    }
    f.resource = "bs";
    f.snapshot_time = c.snapshot;
    f.snapshot_param = "snapshot";
  } else if (!c.version_id.empty()) {
    if (!valid_snapshot_time(c.version_id)) {
      return usage("version id '" + c.version_id +
                   "' is not a version id like "
                   "2024-01-02T03:04:05.1234567Z");
    }
    f.resource = "bv";
    f.snapshot_time = c.version_id;
    f.snapshot_param = "versionid";
  } else {
    f.resource = "b";
  }

  if (!c.encryption_scope.empty() && !valid_encryption_scope(c.encryption_scope)) {
    return usage("encryption scope '" + c.encryption_scope +
                 "' is not a scope name (3-63 "
                 "letters, digits and hyphens)");
  }
  f.encryption_scope = c.encryption_scope;

  // Response-header overrides become HTTP header values: no CR, LF or other control bytes.
  for (auto const& [name, value] : {std::pair{"cache-control", &c.cache_control},
                                    {"content-disposition", &c.content_disposition},
                                    {"content-encoding", &c.content_encoding},
                                    {"content-language", &c.content_language},
                                    {"content-type", &c.content_type}}) {
    if (has_control(*value)) {
      return usage(std::string("the response ") + name +
                   " override contains a control character (CR, LF, tab, ...)");
    }
  }
  f.cache_control = c.cache_control;
  f.content_disposition = c.content_disposition;
  f.content_encoding = c.content_encoding;
  f.content_language = c.content_language;
  f.content_type = c.content_type;
  if (auto r = add_delegation_fields(c, f); !r) return r.error();
  return f;
}

std::string canonicalized_resource(std::string_view account, std::string_view container,
                                   std::string_view blob) {
  std::string r = "/blob/";
  r += account;
  r += '/';
  r += container;
  if (!blob.empty()) {
    r += '/';
    std::size_t const at = r.size();
    r += blob;
    std::replace(r.begin() + static_cast<std::ptrdiff_t>(at), r.end(), '\\', '/');
  }
  return r;
}

std::string string_to_sign_head(SasFields const& f) {
  return f.permissions + "\n" + f.start + "\n" + f.expiry + "\n";
}

std::string string_to_sign_tail(SasFields const& f) {
  std::string s;
  auto line = [&s](std::string_view v) {
    s += '\n';
    s += v;
  };
  if (f.user_delegation) {
    // skoid sktid skt ske sks skv saoid suoid scid [skdutid sduoid from 2025-07-05]
    for (std::string_view v :
         {std::string_view(f.key_oid), std::string_view(f.key_tid), std::string_view(f.key_start),
          std::string_view(f.key_expiry), std::string_view(f.key_service),
          std::string_view(f.key_version), std::string_view(f.authorized_oid), std::string_view(),
          std::string_view(f.correlation_id)}) {
      line(v);
    }
    if (f.version >= "2025-07-05") {
      line({});
      line({});
    }
  } else {
    line(f.identifier);
  }
  for (std::string_view v :
       {std::string_view(f.ip), std::string_view(f.protocol), std::string_view(f.version),
        std::string_view(f.resource), std::string_view(f.snapshot_time),
        std::string_view(f.encryption_scope)}) {
    line(v);
  }
  if (f.user_delegation && f.version >= "2026-04-06") {  // srh, srq
    line({});
    line({});
  }
  for (std::string_view v :
       {std::string_view(f.cache_control), std::string_view(f.content_disposition),
        std::string_view(f.content_encoding), std::string_view(f.content_language),
        std::string_view(f.content_type)}) {
    line(v);
  }
  return s;
}

std::string string_to_sign(SasFields const& f, std::string_view resource) {
  std::string s = string_to_sign_head(f);
  s += resource;
  s += string_to_sign_tail(f);
  return s;
}

std::string sas_signature(std::span<std::uint8_t const> key, std::string_view sts) {
  crypto::HmacSha256 const h(key);
  auto const mac = h.mac(sts);
  return crypto::base64_encode(mac);
}

std::string sas_token(SasFields const& f, std::string_view sig) {
  // The Python SDK's insertion order: add_base (st se sp sip spr sv), add_id (si),
  // add_resource (sr), add_override_response_headers (rscc..rsct), add_encryption_scope
  // (ses), then sig; empty values are skipped (`_add_query` ignores falsy values).
  std::string t;
  auto add = [&t](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (!t.empty()) t += '&';
    t += name;
    t += '=';
    append_quoted(t, value);
  };
  add("st", f.start);
  add("se", f.expiry);
  add("sp", f.permissions);
  add("sip", f.ip);
  add("spr", f.protocol);
  add("sv", f.version);
  add("si", f.identifier);
  add("sr", f.resource);
  add("rscc", f.cache_control);
  add("rscd", f.content_disposition);
  add("rsce", f.content_encoding);
  add("rscl", f.content_language);
  add("rsct", f.content_type);
  add("ses", f.encryption_scope);
  if (f.user_delegation) {  // add_info_for_hns_account, then add_resource_signature's keys
    add("saoid", f.authorized_oid);
    add("scid", f.correlation_id);
    add("skoid", f.key_oid);
    add("sktid", f.key_tid);
    add("skt", f.key_start);
    add("ske", f.key_expiry);
    add("sks", f.key_service);
    add("skv", f.key_version);
  }
  add("sig", sig);
  return t;
}

Result<std::string> container_string_to_sign(AzureSasConfig const& config) {
  std::string key;
  Cleanse wipe{key};
  auto ep = validate_target(config, key);
  if (!ep) return ep.error();
  auto f = make_sas_fields(config, SasResource::kContainer);
  if (!f) return f.error();
  return string_to_sign(*f, canonicalized_resource(config.account, config.container, {}));
}

Result<std::string> container_sas_token(AzureSasConfig const& config) {
  std::string key;
  Cleanse wipe{key};
  auto ep = validate_target(config, key);
  if (!ep) return ep.error();
  auto f = make_sas_fields(config, SasResource::kContainer);
  if (!f) return f.error();
  std::string const sts =
      string_to_sign(*f, canonicalized_resource(config.account, config.container, {}));
  auto const* k = reinterpret_cast<std::uint8_t const*>(key.data());
  return sas_token(*f, sas_signature({k, key.size()}, sts));
}

}  // namespace presign::signers::azure
