// Azure Blob service SAS (shared key). See azure_sas.hpp for the layout and its sources.
#include "presign/signers/azure_sas.hpp"

#include "presign/signers/uri.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/utf8.hpp"

#include <openssl/crypto.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <string_view>
#include <utility>

namespace presign::signers::azure {
namespace {

using namespace std::string_view_literals;

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

// ---- Hot-path encoders --------------------------------------------------------------------

// Blob-name byte → its URL form: 1 byte as is (unreserved or '/'), else "%XX". Python's
// BlobClient writes quote(name, safe='~/'), the same set.
struct Escape {
  char c[3];
  std::uint8_t len;
};

constexpr std::array<Escape, 256> kNameEscapes = [] {
  std::array<Escape, 256> t{};
  constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = 0; i < 256; ++i) {
    auto const c = static_cast<char>(i);
    bool const keep = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') || (i >= '0' && i <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    auto& e = t[static_cast<std::size_t>(i)];
    if (keep) {
      e = Escape{{c, 0, 0}, 1};
    } else {
      e = Escape{{'%', kHex[i >> 4], kHex[i & 0xF]}, 3};
    }
  }
  return t;
}();

// Base64 alphabet entry → its URL form: '+' → %2B (and '/' kept), as quote(sig) writes it.
constexpr std::array<Escape, 64> kSigEscapes = [] {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<Escape, 64> t{};
  for (std::size_t i = 0; i < 64; ++i) {
    t[i] = kAlphabet[i] == '+' ? Escape{{'%', '2', 'B'}, 3} : Escape{{kAlphabet[i], 0, 0}, 1};
  }
  return t;
}();

// Two base64 characters per 12 bits of input, one table load each (8 KiB, stays in L1).
constexpr std::array<char, 2 * 4096> kBase64Pairs = [] {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<char, 2 * 4096> t{};
  for (std::size_t i = 0; i < 4096; ++i) {
    t[2 * i] = kAlphabet[i >> 6];
    t[2 * i + 1] = kAlphabet[i & 63];
  }
  return t;
}();

// The longest quoted signature: 43 base64 characters, each "%2B" at worst, and "%3D".
constexpr std::size_t kQuotedSigBytes = 43 * 3 + 3;

// base64 of a 32-byte MAC, then URL-quoted: 43 characters and the pad '=' as "%3D", with
// '+' as "%2B" ('/' stays, as quote(sig) writes it). `out` must hold kQuotedSigBytes; returns
// the length written. Six MAC bytes become eight characters from four table loads and are
// stored at once, unless one of them is a '+' (about one block in nine), which is written
// character by character.
std::size_t quoted_base64_mac(std::uint8_t const* mac, char* out) noexcept {
  // The MAC is read as eight 4-byte words: Sha256::final has just stored it that way, and a
  // load that spans two stores would stall store-to-load forwarding.
  std::uint64_t word[8];
  for (std::size_t k = 0; k < 8; ++k) {
    std::uint32_t w;
    std::memcpy(&w, mac + 4 * k, 4);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap32(w);
    word[k] = w;
  }
  // Bytes 0-29 as five 48-bit big-endian groups; bytes 30-31 are the low half of word 7.
  std::uint64_t const groups[5] = {
      (word[0] << 16) | (word[1] >> 16), ((word[1] & 0xFFFF) << 32) | word[2],
      (word[3] << 16) | (word[4] >> 16), ((word[4] & 0xFFFF) << 32) | word[5],
      (word[6] << 16) | (word[7] >> 16)};
  char* p = out;
  auto pair = [](std::uint64_t twelve_bits) { return &kBase64Pairs[2 * (twelve_bits & 0xFFF)]; };
  for (std::uint64_t const g : groups) {
    char oct[8];
    std::memcpy(oct, pair(g >> 36), 2);
    std::memcpy(oct + 2, pair(g >> 24), 2);
    std::memcpy(oct + 4, pair(g >> 12), 2);
    std::memcpy(oct + 6, pair(g), 2);
    std::uint64_t q;
    std::memcpy(&q, oct, 8);
    std::uint64_t const x = q ^ 0x2B2B2B2B2B2B2B2BULL;  // a zero byte where oct holds '+'
    if (((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) == 0) {
      std::memcpy(p, oct, 8);
      p += 8;
      continue;
    }
    for (char c : oct) {
      if (c == '+') {
        std::memcpy(p, "%2B", 3);
        p += 3;
      } else {
        *p++ = c;
      }
    }
  }
  // Bytes 30 and 31: three characters, then the pad.
  auto const v = static_cast<std::uint32_t>((word[7] & 0xFFFF) << 8);
  for (std::uint32_t six : {v >> 18, v >> 12, v >> 6}) {
    Escape const& e = kSigEscapes[six & 63];
    std::memcpy(p, e.c, 3);  // always 3 bytes; the cursor moves by the real length
    p += e.len;
  }
  std::memcpy(p, "%3D", 3);
  p += 3;
  return static_cast<std::size_t>(p - out);
}

#if defined(__SSE2__)
// Bit i set when byte i of `v` stays as it is in a URL path: A-Z a-z 0-9 - . _ ~ /.
// "-./0-9" is one range (0x2D-0x39) and the letters are one range after OR 0x20; each range
// test shifts [lo, hi] to the bottom of the signed byte range and compares once.
inline unsigned kept_mask16(__m128i v) noexcept {
  auto in_range = [](__m128i x, char lo, char hi) {
    __m128i const shifted = _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + (hi - lo + 1))));
  };
  __m128i keep = in_range(v, 0x2D, 0x39);
  keep = _mm_or_si128(keep, in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'));
  keep = _mm_or_si128(keep, _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
  keep = _mm_or_si128(keep, _mm_cmpeq_epi8(v, _mm_set1_epi8('~')));
  return static_cast<unsigned>(_mm_movemask_epi8(keep));
}

// Copies r < 16 bytes with at most two overlapping fixed-size moves (no library call).
inline void copy_short(char* d, unsigned char const* s, std::size_t r) noexcept {
  if (r >= 8) {
    std::memcpy(d, s, 8);
    std::memcpy(d + r - 8, s + r - 8, 8);
  } else if (r >= 4) {
    std::memcpy(d, s, 4);
    std::memcpy(d + r - 4, s + r - 4, 4);
  } else {
    for (std::size_t k = 0; k < r; ++k) d[k] = static_cast<char>(s[k]);
  }
}
#endif

enum class NameCheck : std::uint8_t { kOk, kTooLong, kInvalid };

// Percent-encodes `name` into `out` while checking that it is well-formed UTF-8 (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF) of at most 1,024 characters, and
// notes whether it holds a backslash. One pass. `out` must hold 3 * name.size() bytes: every
// escaped byte writes 3, and a 16-byte store happens only while 16 input bytes remain, so
// no write passes 3 * size.
NameCheck encode_blob_name(std::string_view name, char* out, std::size_t& written,
                           bool& backslash) noexcept {
  auto const* s = reinterpret_cast<unsigned char const*>(name.data());
  std::size_t const n = name.size();
  char* p = out;
  std::size_t chars = 0;
  std::size_t i = 0;
  backslash = false;
  auto emit = [&p](unsigned char c) {
    Escape const& e = kNameEscapes[c];
    std::memcpy(p, e.c, 3);
    p += e.len;
  };
  while (i < n) {
    // First the run of bytes that stay as they are (ASCII, one character each): most names
    // are mostly such runs.
    std::size_t const run_start = i;
#if defined(__SSE2__)
    while (i + 16 <= n) {  // 16 at a time, stored as loaded
      __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s + i));
      unsigned const mask = kept_mask16(v);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
      if (mask != 0xFFFFU) {
        auto const k = static_cast<unsigned>(__builtin_ctz(~mask));
        p += k;
        i += k;
        break;
      }
      p += 16;
      i += 16;
    }
    if (i + 16 > n && n >= 16 && i < n) {
      // The last 1-15 bytes: test the 16 that end the name (overlapping bytes already seen).
      std::size_t const base = n - 16;
      __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(s + base));
      std::size_t const r = n - i;
      unsigned const stop = ~(kept_mask16(v) >> (i - base)) & ((1U << r) - 1U);
      std::size_t const k = stop == 0 ? r : static_cast<std::size_t>(__builtin_ctz(stop));
      copy_short(p, s + i, k);
      p += k;
      i += k;
    }
#endif
    while (i < n && kNameEscapes[s[i]].len == 1) *p++ = static_cast<char>(s[i++]);
    chars += i - run_start;
    if (i == n) break;
    unsigned char const c = s[i];
    ++chars;
    if (c < 0x80) {
      backslash |= c == '\\';
      emit(c);
      ++i;
      continue;
    }
    std::size_t const len = utf8_sequence_length(name, i);  // RFC 3629 §4 table
    if (len == 0) return NameCheck::kInvalid;
    for (std::size_t k = 0; k < len; ++k) emit(s[i + k]);
    i += len;
  }
  if (chars > kMaxBlobNameChars) return NameCheck::kTooLong;
  written = static_cast<std::size_t>(p - out);
  return NameCheck::kOk;
}

// Endpoint: scheme://authority[/path], trailing '/' dropped (core's parse_endpoint). Not
// signed, so only its shape is checked.
struct Endpoint {
  std::string base;  // "https://host[:port][/path]"
  bool https = true;
};

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

// Everything `create` and the container helpers check besides the SAS fields: the names, the
// endpoint, and the key (decoded into `key`).
Result<Endpoint> validate_target(AzureSasConfig const& config, std::string& key) {
  auto ep = validate_names(config);
  if (!ep) return ep.error();
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

struct Cleanse {
  std::string& s;
  ~Cleanse() { OPENSSL_cleanse(s.data(), s.size()); }
};

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::string upper(std::string_view s) {
  std::string u(s);
  std::transform(u.begin(), u.end(), u.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
  return u;
}

}  // namespace

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

std::string string_to_sign(SasFields const& f, std::string_view resource) {
  std::string s;
  for (std::string_view v :
       {std::string_view(f.permissions), std::string_view(f.start), std::string_view(f.expiry),
        resource, std::string_view(f.identifier), std::string_view(f.ip),
        std::string_view(f.protocol), std::string_view(f.version), std::string_view(f.resource),
        std::string_view(f.snapshot_time), std::string_view(f.encryption_scope),
        std::string_view(f.cache_control), std::string_view(f.content_disposition),
        std::string_view(f.content_encoding), std::string_view(f.content_language)}) {
    s += v;
    s += '\n';
  }
  s += f.content_type;
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

// ---- Credentials --------------------------------------------------------------------------

Result<AccountCredentials> parse_connection_string(std::string_view text) {
  AccountCredentials c;
  c.origin = "the connection string";
  std::string protocol;
  std::string suffix;
  bool has_sas = false;
  std::size_t index = 0;
  while (!text.empty()) {
    auto const semi = text.find(';');
    std::string_view const part = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    ++index;
    if (trim(part).empty()) continue;  // "a=b;;c=d" and a trailing ';' are common
    auto const eq = part.find('=');
    if (eq == std::string_view::npos) {
      return config_error("the connection string is malformed: part " + std::to_string(index) +
                          " has no '=' (the value is not shown)");
    }
    std::string const name = upper(trim(part.substr(0, eq)));
    std::string value = trim(part.substr(eq + 1));
    if (name == "ACCOUNTNAME") {
      c.account = std::move(value);
    } else if (name == "ACCOUNTKEY") {
      c.account_key = std::move(value);
    } else if (name == "BLOBENDPOINT") {
      c.blob_endpoint = std::move(value);
    } else if (name == "DEFAULTENDPOINTSPROTOCOL") {
      protocol = std::move(value);
    } else if (name == "ENDPOINTSUFFIX") {
      suffix = std::move(value);
    } else if (name == "SHAREDACCESSSIGNATURE") {
      has_sas = !value.empty();
    }
  }
  if (c.account_key.empty()) {
    return config_error(has_sas ? "the connection string holds a SharedAccessSignature but no "
                                  "AccountKey; signing new SAS URLs needs the account key"
                                : "the connection string has no AccountKey");
  }
  if (c.account.empty()) return config_error("the connection string has no AccountName");
  if (c.blob_endpoint.empty() && (!protocol.empty() || !suffix.empty())) {
    c.blob_endpoint = (protocol.empty() ? std::string("https") : protocol) + "://" + c.account +
                      ".blob." + (suffix.empty() ? std::string("core.windows.net") : suffix);
  }
  return c;
}

Result<AccountCredentials> resolve_credentials(EnvLookup const& env, std::string_view uri_account) {
  AccountCredentials c;
  if (auto cs = env("AZURE_STORAGE_CONNECTION_STRING")) {
    Cleanse wipe{*cs};
    auto parsed = parse_connection_string(*cs);
    if (!parsed) {
      return config_error("AZURE_STORAGE_CONNECTION_STRING: " + parsed.error().detail);
    }
    c = std::move(*parsed);
    c.origin = "AZURE_STORAGE_CONNECTION_STRING";
  } else if (auto key = env("AZURE_STORAGE_KEY")) {
    c.account_key = std::move(*key);
    auto account = env("AZURE_STORAGE_ACCOUNT");
    c.account = account ? *account : std::string(uri_account);
    c.origin = account ? "AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY" : "AZURE_STORAGE_KEY";
  } else {
    return config_error(
        std::string("no Azure credentials for storage account '") + std::string(uri_account) +
        "': set AZURE_STORAGE_CONNECTION_STRING (with AccountName and AccountKey), or "
        "AZURE_STORAGE_KEY (and optionally AZURE_STORAGE_ACCOUNT)" +
        (env("AZURE_STORAGE_ACCOUNT")
             ? "; AZURE_STORAGE_ACCOUNT is set but AZURE_STORAGE_KEY is not"
             : ""));
  }
  if (c.account != uri_account) {
    OPENSSL_cleanse(c.account_key.data(), c.account_key.size());
    return config_error(c.origin + " is for storage account '" + c.account +
                        "', but the URI names '" + std::string(uri_account) + "'");
  }
  std::string decoded;
  Cleanse wipe{decoded};
  if (!crypto::base64_decode(c.account_key, decoded) || decoded.empty()) {
    OPENSSL_cleanse(c.account_key.data(), c.account_key.size());
    return config_error("the account key from " + c.origin +
                        " is not valid base64 (the value is not shown)");
  }
  return c;
}

// ---- AzureSasSigner -----------------------------------------------------------------------

Result<AzureSasSigner> AzureSasSigner::create(AzureSasConfig config) {
  Cleanse wipe_given{config.account_key};
  std::string key;
  Cleanse wipe_decoded{key};
  auto ep = validate_target(config, key);
  if (!ep) return ep.error();
  auto fields = make_sas_fields(config, SasResource::kBlob);
  if (!fields) return fields.error();

  AzureSasSigner s;
  s.account_ = config.account;
  s.container_ = config.container;
  s.fields_ = std::move(*fields);
  s.https_ = ep->https;
  SasFields const& f = s.fields_;

  // URL: endpoint, the container quoted as Python's quote(container) does, then the name.
  s.url_prefix_ = ep->base + "/";
  append_uri_encoded(s.url_prefix_, config.container, /*keep_slash=*/false);
  s.url_prefix_ += '/';

  // Query: BlobClient puts "snapshot=T&" before the token; T is validated to [0-9T:.Z-],
  // which is legal in a query as is, so it is written unquoted as the SDK does.
  s.query_head_ = "?";
  if (!f.snapshot_param.empty()) s.query_head_ += f.snapshot_param + "=" + f.snapshot_time + "&";
  // The token without sig (sas_token skips empty values), then "&sig=" for sign() to finish.
  s.query_head_ += azure::sas_token(f, "");
  s.query_head_ += "&sig=";

  // String to sign: the constant head (fields 1-3 and the resource up to the name) goes into
  // the HMAC inner midstate; the constant tail (fields 5-16) is hashed after each name.
  std::string head = f.permissions + "\n" + f.start + "\n" + f.expiry + "\n";
  head += canonicalized_resource(config.account, config.container, {});
  head += '/';
  s.sts_tail_ = "\n" + f.identifier + "\n" + f.ip + "\n" + f.protocol + "\n" + f.version + "\n" +
                f.resource + "\n" + f.snapshot_time + "\n" + f.encryption_scope + "\n" +
                f.cache_control + "\n" + f.content_disposition + "\n" + f.content_encoding + "\n" +
                f.content_language + "\n" + f.content_type;
  s.assemble_ = s.url_prefix_.size() + s.query_head_.size() + kQuotedSigBytes <=
                sizeof(Scratch::url) - 3 * kMaxBlobNameBytes;
  s.key_ =
      crypto::HmacSha256(std::span{reinterpret_cast<std::uint8_t const*>(key.data()), key.size()});
  s.sts_head_ = s.key_.inner();
  s.sts_head_.update(head);
  return s;
}

SignError AzureSasSigner::sign(ObjectRef const& object, Scratch& scratch,
                               std::string& out) const noexcept {
  std::string_view const name = object.key;
  if (name.empty()) return SignError::kEmptyKey;
  if (name.size() > kMaxBlobNameBytes) return SignError::kKeyTooLong;
  // The URL is assembled in the scratch (prefix, encoded name, query, sig) and appended to
  // `out` with one copy, unless the constant pieces are too long for it (a very long endpoint
  // or response overrides); then the pieces are appended one by one.
  std::size_t const prefix = assemble_ ? url_prefix_.size() : 0;
  char* const base = scratch.url;
  // One HMAC: the midstate already holds "sp\nst\nse\n/blob/ACCOUNT/CONTAINER/". It is computed
  // before the name is encoded and checked: SHA-256 is one long dependency chain, and the
  // encoder's independent work then runs while the last block is still being compressed.
  // A name the encoder refuses has cost one wasted HMAC (rare).
  crypto::Sha256 inner = sts_head_;
  inner.update(name);
  inner.update(sts_tail_);
  std::uint8_t mac[32];
  key_.finish(inner, mac);
  std::size_t n = 0;
  bool backslash = false;
  switch (encode_blob_name(name, base + prefix, n, backslash)) {
    case NameCheck::kOk:
      break;
    case NameCheck::kTooLong:
      return SignError::kKeyTooLong;
    case NameCheck::kInvalid:
      return SignError::kInvalidKey;
  }
  if (backslash) {
    // The service reads a backslash in a blob name as '/' (see canonicalized_resource): sign
    // a copy with the backslashes replaced; the URL keeps them (%5C).
    std::memcpy(scratch.signed_name, name.data(), name.size());
    std::replace(scratch.signed_name, scratch.signed_name + name.size(), '\\', '/');
    inner = sts_head_;
    inner.update(scratch.signed_name, name.size());
    inner.update(sts_tail_);
    key_.finish(inner, mac);
  }
  if (assemble_) {
    std::memcpy(base, url_prefix_.data(), prefix);
    char* q = base + prefix + n;
    std::memcpy(q, query_head_.data(), query_head_.size());
    q += query_head_.size();
    q += quoted_base64_mac(mac, q);
    out.append(base, static_cast<std::size_t>(q - base));
    return SignError::kOk;
  }
  char sig[kQuotedSigBytes];
  std::size_t const sig_len = quoted_base64_mac(mac, sig);
  out.append(url_prefix_);
  out.append(base, n);
  out.append(query_head_);
  out.append(sig, sig_len);
  return SignError::kOk;
}

std::string AzureSasSigner::string_to_sign(std::string_view blob) const {
  return azure::string_to_sign(fields_, canonicalized_resource(account_, container_, blob));
}

std::string AzureSasSigner::sas_token(std::string_view blob) const {
  auto const mac = key_.mac(string_to_sign(blob));
  return azure::sas_token(fields_, crypto::base64_encode(mac));
}

}  // namespace presign::signers::azure
