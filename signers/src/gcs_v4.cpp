// GCS V4 signed URLs (GOOG4-RSA-SHA256 and GOOG4-HMAC-SHA256).
//
// References: the GCS "V4 signing process" documentation (canonical request, string to sign,
// X-Goog-* query parameters); the googleapis conformance vectors
// (storage/v1/v4_signatures.json) for the generic stages; Google's Node client
// (@google-cloud/storage 7.22.0, src/signer.ts and src/util.ts) for the byte-exact URL the
// batch presigner reproduces. Nothing here is copied from them; where we follow one of them
// on a detail the comment says which.
#include "presign/signers/gcs_v4.hpp"
#include "presign/core/text.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/utf8.hpp"

#include "presign/signers/sigv4.hpp"
#include "presign/signers/uri.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include <simdjson.h>

namespace presign::signers::gcs {
namespace {

constexpr std::string_view kRegion = "auto";
constexpr std::string_view kService = "storage";
constexpr std::string_view kTerminator = "goog4_request";
constexpr std::string_view kKeyPrefix = "GOOG4";
constexpr std::string_view kDefaultUniverse = "googleapis.com";
constexpr std::size_t kMaxCredentialsFileBytes = 1 << 20;
// RSA signature sizes accepted: 1,024 to 4,096-bit moduli (Google issues 2,048-bit keys).
constexpr std::size_t kMinRsaBytes = 128;
constexpr std::size_t kMaxRsaBytes = 512;

Error usage_error(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

Error config_error(std::string m) { return make_error(ErrorKind::kConfig, std::move(m)); }

bool is_js_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Header value canonical form, as the Node client computes it (signer.ts
// getCanonicalHeaders): `value.trim().replace(/\s{2,}/g, ' ')` -- trim both ends, and fold
// each run of TWO or more whitespace characters into one space; a single tab stays a tab.
// (JavaScript's \s also matches Unicode spaces such as U+00A0; header values are ASCII in
// practice, so only ASCII whitespace is treated as space here.)
std::string fold_header_value(std::string_view v) {
  while (!v.empty() && is_js_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_js_space(v.back())) v.remove_suffix(1);
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size();) {
    if (is_js_space(v[i]) && i + 1 < v.size() && is_js_space(v[i + 1])) {
      while (i < v.size() && is_js_space(v[i])) ++i;
      out += ' ';
    } else {
      out += v[i++];
    }
  }
  return out;
}

std::string encoded(std::string_view s, bool keep_slash) {
  std::string out;
  append_uri_encoded(out, s, keep_slash);
  return out;
}

// `[scheme://]host[:port][/]`: the scheme (lower-case, may be empty) and the authority
// (lower-case, as the Node client's WHATWG URL lower-cases hosts).
struct Endpoint {
  std::string scheme;
  std::string authority;
};

Result<Endpoint> parse_endpoint(std::string_view text, std::string_view what, bool need_scheme) {
  auto ep =
      presign::parse_endpoint(text, EndpointRules{.what = what, .require_scheme = need_scheme});
  if (!ep) return ep.error();
  // Beyond core's rules: ASCII only, no '\\' or '%', and no leading '.' (the Node client's
  // WHATWG URL parser would rewrite or refuse these hosts).
  std::string_view const a = ep->authority;
  if (a.front() == '.' || std::any_of(a.begin(), a.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x80 || c == '\\' || c == '%';
      })) {
    std::string shown;
    append_printable(shown, text);
    return usage_error(
        std::string(what) + " '" + shown +
        "' must be [scheme://]host[:port] in ASCII without '\\', '%' or a leading '.'");
  }
  return Endpoint{std::move(ep->scheme), ascii_to_lower(a)};
}

// The signed host: the authority without its port. "[::1]:8080" -> "[::1]" (WHATWG URL
// `hostname` keeps IPv6 brackets), "localhost:8080" -> "localhost".
std::string host_of(std::string_view authority) {
  if (authority.starts_with('[')) {
    auto const close = authority.find(']');
    return std::string(
        authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1));
  }
  return std::string(authority.substr(0, authority.find(':')));
}

bool valid_method(std::string_view m) noexcept {
  if (m.empty() || m.size() > 16) return false;
  return std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string expiry_message(std::int64_t seconds) {
  return "GCS V4 signed URLs expire after 1 to 604800 seconds (7 days); " +
         std::to_string(seconds) + " s was asked for";
}

// The X-Goog-* parameters of the signature itself; a request may not set them again.
constexpr std::string_view kReservedParams[] = {"X-Goog-Algorithm",     "X-Goog-Credential",
                                                "X-Goog-Date",          "X-Goog-Expires",
                                                "X-Goog-SignedHeaders", "X-Goog-Signature"};

// Only lower-case identifiers are echoed back from a credentials file's "type" field, so a
// mistakenly chosen file (say, a private key pasted as the type) never reaches a terminal.
std::string printable_type(std::string_view t) {
  bool const plain = !t.empty() && t.size() <= 40 && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_' || c == '-';
  });
  return plain ? "\"" + std::string(t) + "\"" : std::string("an unrecognised type");
}

int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return 0;  // encrypted PEM keys are refused instead of prompting on the terminal
}

std::atomic<std::uint64_t> g_next_key_id{1};

}  // namespace

// ---- Keys --------------------------------------------------------------------------------

struct ServiceAccountKey::Impl {
  Impl() = default;
  Impl(Impl const&) = delete;
  Impl& operator=(Impl const&) = delete;

  ~Impl() { EVP_PKEY_free(pkey); }

  std::string client_email;
  EVP_PKEY* pkey = nullptr;  // immutable after construction; shared by all copies
  std::size_t signature_bytes = 0;
  std::uint64_t id = 0;
};

Result<ServiceAccountKey> ServiceAccountKey::from_pem(std::string client_email,
                                                      std::string_view pem,
                                                      std::string_view origin) {
  std::string const where(origin);
  if (client_email.empty() || client_email.size() > 320 ||
      std::any_of(client_email.begin(), client_email.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f;
      })) {
    return config_error("the client_email in " + where + " is empty or not a plain e-mail address");
  }
  if (pem.empty() || pem.size() > kMaxCredentialsFileBytes) {
    return config_error("the private_key in " + where + " is empty");
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return make_error(ErrorKind::kInternal, "out of memory reading a PEM key");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, no_password, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    ERR_clear_error();
    return config_error("the private_key in " + where +
                        " is not an unencrypted PEM private key (\"-----BEGIN PRIVATE KEY-----\")");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey = pkey;  // owned from here on
  if (EVP_PKEY_is_a(pkey, "RSA") != 1) {
    return config_error("the private_key in " + where +
                        " is not an RSA key (GOOG4-RSA-SHA256 needs RSA)");
  }
  int const size = EVP_PKEY_get_size(pkey);
  if (size < static_cast<int>(kMinRsaBytes) || size > static_cast<int>(kMaxRsaBytes)) {
    return config_error("the RSA key in " + where + " has " + std::to_string(size * 8) +
                        " bits; 1024 to 4096 are supported");
  }
  impl->signature_bytes = static_cast<std::size_t>(size);
  impl->client_email = std::move(client_email);
  impl->id = g_next_key_id.fetch_add(1, std::memory_order_relaxed);
  return ServiceAccountKey(std::move(impl));
}

Result<ServiceAccountKey> ServiceAccountKey::from_json(std::string_view json,
                                                       std::string_view origin) {
  auto c = parse_credentials_json(json, origin);
  if (!c) return c.error();
  if (auto* k = std::get_if<ServiceAccountKey>(&*c)) return std::move(*k);
  return config_error(std::string(origin) + " holds an HMAC key, not a service-account key");
}

std::string const& ServiceAccountKey::client_email() const noexcept { return impl_->client_email; }

std::size_t ServiceAccountKey::signature_bytes() const noexcept { return impl_->signature_bytes; }

std::uint64_t ServiceAccountKey::id() const noexcept { return impl_->id; }

Result<std::string> ServiceAccountKey::sign_hex(std::string_view message) const {
  // One-shot EVP_DigestSign on the shared key: RSA's default padding is PKCS#1 v1.5.
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr) return make_error(ErrorKind::kInternal, "out of memory (EVP_MD_CTX)");
  std::string sig(impl_->signature_bytes, '\0');
  std::size_t len = sig.size();
  bool const ok =
      EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, impl_->pkey) == 1 &&
      EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<unsigned char const*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) {
    ERR_clear_error();
    return make_error(ErrorKind::kInternal, "RSA-SHA256 signing failed in OpenSSL");
  }
  return crypto::hex_lower(std::span{reinterpret_cast<std::uint8_t const*>(sig.data()), len});
}

Result<Credentials> parse_credentials_json(std::string_view json, std::string_view origin) {
  std::string const where(origin);
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto const parse_error = parser.parse(padded).get(doc);
  // The padded copy holds the key material; wipe it as soon as the parse is done (the
  // parser's own string buffer lives until the end of this function).
  auto wipe = [&] { OPENSSL_cleanse(padded.data(), padded.size()); };
  simdjson::dom::object obj;
  if (parse_error || doc.get(obj)) {
    wipe();
    return config_error(where +
                        " is not a JSON object (expected a GCS service-account key file or "
                        "an HMAC key file)");
  }
  auto field = [&](char const* name) -> std::string_view {
    std::string_view v;
    if (obj[name].get(v)) return {};
    return v;
  };
  std::string_view const type = field("type");
  Result<Credentials> out = config_error("");
  if (type == "service_account") {
    std::string_view const email = field("client_email");
    std::string_view const pem = field("private_key");
    if (email.empty() || pem.empty()) {
      out = config_error(where +
                         " is a service-account key file without \"client_email\" and "
                         "\"private_key\" strings");
    } else {
      auto key = ServiceAccountKey::from_pem(std::string(email), pem, origin);
      if (key) {
        out = Credentials{std::move(*key)};
      } else {
        out = key.error();
      }
    }
  } else if (type == "hmac_key") {
    std::string_view const id = field("access_id");
    std::string_view const secret = field("secret");
    if (id.empty() || secret.empty()) {
      out =
          config_error(where + " is an HMAC key file without \"access_id\" and \"secret\" strings");
    } else {
      out = Credentials{HmacKey{std::string(id), std::string(secret)}};
    }
  } else if (type.empty()) {
    out = config_error(where +
                       " has no \"type\" string; expected \"service_account\" (a "
                       "service-account key file) or \"hmac_key\"");
  } else {
    out = config_error(
        where + " holds credentials of type " + printable_type(type) +
        ", which cannot sign URLs; use a service-account key file "
        "(\"type\": \"service_account\") or an HMAC key file (\"type\": \"hmac_key\")");
  }
  wipe();
  return out;
}

Result<void> read_credentials_file(std::string const& path,
                                   std::function<void(std::string_view text)> const& use) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return config_error("cannot read credentials file " + path + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[16384];
  std::size_t n = 0;
  bool too_big = false;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxCredentialsFileBytes) {
      too_big = true;
      break;
    }
  }
  bool const failed = std::ferror(f) != 0;
  int const err = errno;
  std::fclose(f);
  OPENSSL_cleanse(buf, sizeof buf);
  Result<void> out;
  if (too_big) {
    out = config_error("credentials file " + path + " is larger than 1 MiB; it is not a key file");
  } else if (failed) {
    out = config_error("cannot read credentials file " + path + ": " + std::strerror(err));
  } else {
    use(text);
  }
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

Result<Credentials> load_credentials_file(std::string const& path) {
  Result<Credentials> out = config_error("");
  if (auto r = read_credentials_file(path,
                                     [&](std::string_view text) {
                                       out =
                                           parse_credentials_json(text, "credentials file " + path);
                                     });
      !r) {
    return r.error();
  }
  return out;
}

Result<Credentials> resolve_credentials(std::string const& explicit_file, EnvLookup const& env) {
  if (!explicit_file.empty()) return load_credentials_file(explicit_file);
  auto const id = env(kEnvHmacAccessId);
  auto const secret = env(kEnvHmacSecret);
  if (id || secret) {
    if (!id) {
      return config_error(std::string(kEnvHmacSecret) + " is set but " + kEnvHmacAccessId +
                          " is not; set both for an HMAC key");
    }
    if (!secret) {
      return config_error(std::string(kEnvHmacAccessId) + " is set but " + kEnvHmacSecret +
                          " is not; set both for an HMAC key");
    }
    return Credentials{HmacKey{*id, *secret}};
  }
  if (auto const file = env(kEnvApplicationCredentials)) {
    auto c = load_credentials_file(*file);
    if (!c) {
      Error e = c.error();
      e.detail = std::string(kEnvApplicationCredentials) + ": " + e.detail;
      return e;
    }
    return c;
  }
  return config_error(std::string("no GCS credentials found: looked for --credentials FILE, ") +
                      kEnvHmacAccessId + " + " + kEnvHmacSecret + " (an HMAC key), and " +
                      kEnvApplicationCredentials + " (a service-account JSON key file)");
}

// ---- Generic staged API ------------------------------------------------------------------

std::string_view algorithm_name(Algorithm a) noexcept {
  return a == Algorithm::kRsaSha256 ? "GOOG4-RSA-SHA256" : "GOOG4-HMAC-SHA256";
}

Algorithm algorithm_of(Credentials const& c) noexcept {
  return std::holds_alternative<ServiceAccountKey>(c) ? Algorithm::kRsaSha256
                                                      : Algorithm::kHmacSha256;
}

std::string const& credential_id(Credentials const& c) noexcept {
  if (auto const* k = std::get_if<ServiceAccountKey>(&c)) return k->client_email();
  return std::get<HmacKey>(c).access_id;
}

bool is_valid_bucket_name(std::string_view b) noexcept {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (b.size() < 3 || b.size() > 222 || !alnum(b.front()) || !alnum(b.back())) return false;
  bool const dotted = b.find('.') != std::string_view::npos;
  if (!dotted && b.size() > 63) return false;
  std::size_t part = 0;
  for (char c : b) {
    if (c == '.') {
      part = 0;
      continue;
    }
    if (!alnum(c) && c != '-' && c != '_') return false;
    if (++part > 63) return false;
  }
  return true;
}

bool is_valid_object_name(std::string_view s) noexcept {
  // GCS object naming rules: valid UTF-8, no carriage return or line feed, not "." or "..".
  if (s == "." || s == "..") return false;
  std::size_t i = 0;
  std::size_t const n = s.size();
  while (i < n) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\n' || c == '\r') return false;
      ++i;
      continue;
    }

    // Overlong forms, surrogates (CESU-8) and code points past U+10FFFF are not UTF-8.
    std::size_t const len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string credential_scope(SigningTime t) {
  char iso[17];
  char day[9];
  format_amz_date(t, iso, day);
  return sigv4::credential_scope(day, kRegion, kService, kTerminator);
}

Result<Target> resolve_target(SignedUrlRequest const& req) {
  if (!is_valid_bucket_name(req.bucket)) {
    return usage_error("'" + req.bucket + "' is not a valid GCS bucket name");
  }
  Endpoint ep;
  if (req.url_style == UrlStyle::kBucketBoundHostname) {
    if (req.bucket_bound_hostname.empty()) {
      return usage_error("BUCKET_BOUND_HOSTNAME style needs a bucket-bound hostname");
    }
    auto e = parse_endpoint(req.bucket_bound_hostname, "bucket-bound hostname", false);
    if (!e) return e.error();
    ep = std::move(*e);
  } else {
    // Precedence, from the conformance vectors ("Hostname takes precedence over endpoint and
    // emulator", "Endpoint on client takes precedence over emulator"): hostname, then the
    // client endpoint, then the emulator host, then storage.<universe domain>.
    std::pair<std::string const*, char const*> const candidates[] = {
        {&req.hostname, "hostname"},
        {&req.client_endpoint, "client endpoint"},
        {&req.emulator_hostname, "emulator hostname"}};
    bool found = false;
    for (auto const& [value, what] : candidates) {
      if (value->empty()) continue;
      auto e = parse_endpoint(*value, what, false);
      if (!e) return e.error();
      ep = std::move(*e);
      found = true;
      break;
    }
    if (!found) {
      std::string_view const universe =
          req.universe_domain.empty() ? kDefaultUniverse : std::string_view(req.universe_domain);
      auto e = parse_endpoint("storage." + std::string(universe), "universe domain", false);
      if (!e || !e->scheme.empty()) {
        return usage_error("universe domain must be a plain domain name: '" + req.universe_domain +
                           "'");
      }
      ep = std::move(*e);
    }
    if (req.url_style == UrlStyle::kVirtualHostedStyle) {
      ep.authority = req.bucket + "." + ep.authority;
    }
  }
  Target t;
  if (!ep.scheme.empty()) {
    t.scheme = ep.scheme;
  } else if (!req.scheme.empty()) {
    t.scheme = ascii_to_lower(req.scheme);
    if (t.scheme != "http" && t.scheme != "https") {
      return usage_error("scheme must be http or https, not '" + req.scheme + "'");
    }
  } else {
    t.scheme = "https";
  }
  t.host = host_of(ep.authority);
  t.authority = std::move(ep.authority);
  // Resource path: /BUCKET[/OBJECT] path-style, /OBJECT otherwise ("/" for the bucket).
  t.path = "/";
  if (req.url_style == UrlStyle::kPathStyle) {
    append_uri_encoded(t.path, req.bucket, false);
    if (!req.object.empty()) t.path += '/';
  }
  append_uri_encoded(t.path, req.object, /*keep_slash=*/true);
  return t;
}

Result<CanonicalParts> canonicalize(SignedUrlRequest const& req, Algorithm algorithm,
                                    std::string_view credential_id) {
  if (!valid_method(req.method)) {
    return usage_error("method must be an upper-case HTTP method such as GET or PUT, not '" +
                       req.method + "'");
  }
  if (req.expires_seconds < 1 || req.expires_seconds > kMaxExpiresSeconds) {
    return usage_error(expiry_message(req.expires_seconds));
  }
  if (credential_id.empty()) {
    return config_error("the credential id (client e-mail or access id) is empty");
  }
  auto target = resolve_target(req);
  if (!target) return target.error();

  CanonicalParts p;
  p.target = std::move(*target);

  // Headers: lower-case names; `host` is always the resolved host (the Node client sets it
  // after the caller's headers); repeated names joined with ',' in request order.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(req.headers.size() + 1);
  for (auto const& [name, value] : req.headers) {
    std::string lname = ascii_to_lower(name);
    if (lname.empty() || lname.find_first_of(":\r\n") != std::string::npos) {
      return usage_error("header name '" + name + "' is empty or contains ':' or a line break");
    }
    if (lname == "host") continue;
    std::string v = fold_header_value(value);
    if (v.find_first_of("\r\n") != std::string::npos) {
      return usage_error("the value of header '" + name + "' contains a line break");
    }
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](auto const& h) { return h.first == lname; });
    if (it == headers.end()) {
      headers.emplace_back(std::move(lname), std::move(v));
    } else {
      it->second += ',';
      it->second += v;
    }
  }
  headers.emplace_back("host", p.target.host);
  std::stable_sort(headers.begin(), headers.end(),
                   [](auto const& a, auto const& b) { return a.first < b.first; });
  p.payload_hash = "UNSIGNED-PAYLOAD";
  for (auto const& [name, value] : headers) {
    p.canonical_headers += name;
    p.canonical_headers += ':';
    p.canonical_headers += value;
    p.canonical_headers += '\n';
    if (!p.signed_headers.empty()) p.signed_headers += ';';
    p.signed_headers += name;
    // A signed payload: the header's value replaces UNSIGNED-PAYLOAD (conformance "Signed
    // Payload Instead of UNSIGNED-PAYLOAD").
    if (name == "x-goog-content-sha256") p.payload_hash = value;
  }

  // Query: the five X-Goog-* parameters plus the request's own, each name and value encoded
  // (RFC 3986 unreserved kept, '/' encoded), sorted by encoded name, then value.
  for (auto const& [name, value] : req.query_parameters) {
    for (std::string_view r : kReservedParams) {
      if (ascii_iequals(name, r)) {
        return usage_error("query parameter '" + name + "' is set by the signature itself");
      }
    }
  }
  std::string const scope = credential_scope(req.signing_time);
  char iso[17];
  char day[9];
  format_amz_date(req.signing_time, iso, day);
  std::vector<std::pair<std::string, std::string>> q{
      {"X-Goog-Algorithm", std::string(algorithm_name(algorithm))},
      {"X-Goog-Credential", std::string(credential_id) + "/" + scope},
      {"X-Goog-Date", iso},
      {"X-Goog-Expires", std::to_string(req.expires_seconds)},
      {"X-Goog-SignedHeaders", p.signed_headers}};
  q.insert(q.end(), req.query_parameters.begin(), req.query_parameters.end());
  for (auto& [name, value] : q) {
    name = encoded(name, false);
    value = encoded(value, false);
  }
  std::sort(q.begin(), q.end());
  for (auto const& [name, value] : q) {
    if (!p.canonical_query.empty()) p.canonical_query += '&';
    p.canonical_query += name;
    p.canonical_query += '=';
    p.canonical_query += value;
  }

  p.canonical_request = req.method + "\n" + p.target.path + "\n" + p.canonical_query + "\n" +
                        p.canonical_headers + "\n" + p.signed_headers + "\n" + p.payload_hash;
  p.string_to_sign =
      sigv4::string_to_sign(algorithm_name(algorithm), iso, scope, p.canonical_request);
  return p;
}

Result<std::string> canonical_request(SignedUrlRequest const& req, Algorithm algorithm,
                                      std::string_view credential_id) {
  auto p = canonicalize(req, algorithm, credential_id);
  if (!p) return p.error();
  return std::move(p->canonical_request);
}

Result<std::string> string_to_sign(SignedUrlRequest const& req, Algorithm algorithm,
                                   std::string_view credential_id) {
  auto p = canonicalize(req, algorithm, credential_id);
  if (!p) return p.error();
  return std::move(p->string_to_sign);
}

std::string hmac_signature(std::string_view secret, SigningTime t, std::string_view sts) {
  char iso[17];
  char day[9];
  format_amz_date(t, iso, day);
  auto key = sigv4::derive_signing_key(secret, day, kRegion, kService, kKeyPrefix, kTerminator);
  std::string sig = sigv4::signature(key, sts);
  OPENSSL_cleanse(key.data(), key.size());
  return sig;
}

Result<std::string> signed_url(SignedUrlRequest const& req, Credentials const& credentials) {
  auto p = canonicalize(req, algorithm_of(credentials), credential_id(credentials));
  if (!p) return p.error();
  std::string sig;
  if (auto const* key = std::get_if<ServiceAccountKey>(&credentials)) {
    auto s = key->sign_hex(p->string_to_sign);
    if (!s) return s.error();
    sig = std::move(*s);
  } else {
    auto const& hmac = std::get<HmacKey>(credentials);
    if (hmac.secret.empty()) return config_error("the HMAC secret is empty");
    sig = hmac_signature(hmac.secret, req.signing_time, p->string_to_sign);
  }
  return p->target.scheme + "://" + p->target.authority + p->target.path + "?" +
         p->canonical_query + "&X-Goog-Signature=" + sig;
}

// ---- GcsPresigner ------------------------------------------------------------------------

// One worker's RSA state: its own copy of the key (so OpenSSL's per-key blinding state and
// lock are never shared between threads) and a context already set up for
// RSASSA-PKCS1-v1_5 over a SHA-256 digest, reused for every URL.
struct GcsPresigner::Scratch::Rsa {
  Rsa() = default;
  Rsa(Rsa const&) = delete;
  Rsa& operator=(Rsa const&) = delete;

  ~Rsa() {
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
  }

  std::uint64_t key_id = 0;  // ServiceAccountKey::id() this state signs for
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = nullptr;
  unsigned char sig[kMaxRsaBytes];
};

void GcsPresigner::Scratch::RsaDeleter::operator()(Rsa* r) const noexcept { delete r; }

Result<GcsPresigner> GcsPresigner::create(GcsPresignConfig config) {
  if (!is_valid_bucket_name(config.bucket)) {
    return usage_error("'" + config.bucket +
                       "' is not a valid GCS bucket name (3-63 characters of "
                       "a-z, 0-9, '-', '_' and '.', starting and ending with a letter or digit)");
  }
  if (config.method != "GET" && config.method != "PUT" && config.method != "HEAD") {
    return usage_error("method must be GET, PUT or HEAD, not '" + config.method + "'");
  }
  if (config.expires_seconds < 1 || config.expires_seconds > kMaxExpiresSeconds) {
    return usage_error(expiry_message(config.expires_seconds));
  }
  GcsPresigner s;
  s.algorithm_ = algorithm_of(config.credentials);
  if (auto* hmac = std::get_if<HmacKey>(&config.credentials)) {
    if (hmac->access_id.empty() || hmac->secret.empty()) {
      return make_error(ErrorKind::kConfig, "the HMAC access id or secret is empty");
    }
  } else {
    s.rsa_key_ = std::get<ServiceAccountKey>(config.credentials);
  }

  // Endpoint: https://storage.googleapis.com unless given. Virtual-hosted puts the bucket in
  // front of the host, as the Node client's `https://${bucket}.storage.${universe}`.
  std::string scheme = "https";
  std::string authority = "storage.googleapis.com";
  if (!config.endpoint.empty()) {
    auto ep = parse_endpoint(config.endpoint, "endpoint", /*need_scheme=*/true);
    if (!ep) return ep.error();
    scheme = ep->scheme;
    authority = ep->authority;
  }
  bool const virtual_host = config.addressing == Addressing::kVirtual;
  if (virtual_host) authority = config.bucket + "." + authority;
  s.host_ = host_of(authority);
  s.path_prefix_ = virtual_host ? "/" : "/" + config.bucket + "/";
  s.url_prefix_ = scheme + "://" + authority + s.path_prefix_;

  char iso[17];
  char day[9];
  format_amz_date(config.signing_time, iso, day);
  std::string const scope = sigv4::credential_scope(day, kRegion, kService, kTerminator);
  std::string_view const alg = algorithm_name(s.algorithm_);
  std::string const cred = encoded(credential_id(config.credentials) + "/" + scope, false);
  std::string const expires = std::to_string(config.expires_seconds);
  std::string const auth_params = "X-Goog-Algorithm=" + std::string(alg) +
                                  "&X-Goog-Credential=" + cred + "&X-Goog-Date=" + iso +
                                  "&X-Goog-Expires=" + expires + "&X-Goog-SignedHeaders=host";
  auto param = [](std::string_view name, std::string const& value) {
    return value.empty() ? std::string() : "&" + std::string(name) + "=" + encoded(value, false);
  };
  std::string const disposition =
      param("response-content-disposition", config.response_content_disposition);
  std::string const type = param("response-content-type", config.response_content_type);
  // Canonical query: sorted by name ('X' < 'r', "disposition" < "type").
  s.cr_suffix_ =
      "\n" + auth_params + disposition + type + "\nhost:" + s.host_ + "\n\nhost\nUNSIGNED-PAYLOAD";
  // URL query in the Node client's order: its query object is built as the auth parameters,
  // then the caller's parameters in insertion order (File#getSignedUrl inserts
  // response-content-type before response-content-disposition), then X-Goog-Signature.
  s.query_ = "?" + auth_params + type + disposition + "&X-Goog-Signature=";

  s.method_ = config.method;
  s.cr_head_.update(s.method_);
  s.cr_head_.update("\n", 1);
  s.cr_head_.update(s.path_prefix_);
  s.sts_prefix_ = std::string(alg) + "\n" + iso + "\n" + scope + "\n";
  if (auto* hmac = std::get_if<HmacKey>(&config.credentials)) {
    auto signing_key =
        sigv4::derive_signing_key(hmac->secret, day, kRegion, kService, kKeyPrefix, kTerminator);
    s.key_ = crypto::HmacSha256(signing_key);
    OPENSSL_cleanse(signing_key.data(), signing_key.size());
    OPENSSL_cleanse(hmac->secret.data(), hmac->secret.size());
    s.sts_head_ = s.key_.inner();
  }
  s.sts_head_.update(s.sts_prefix_);
  s.signing_time_ = config.signing_time;
  s.expires_seconds_ = config.expires_seconds;
  return s;
}

void GcsPresigner::canonical_digest_hex(std::string_view encoded_key, char* out64) const noexcept {
  crypto::Sha256 cr = cr_head_;
  cr.update(encoded_key);
  cr.update(cr_suffix_);
  std::uint8_t digest[32];
  cr.final(digest);
  crypto::hex_lower(digest, sizeof digest, out64);
}

bool GcsPresigner::rsa_sign(Scratch& scratch, std::uint8_t const* digest32,
                            std::size_t& sig_len) const noexcept {
  Scratch::Rsa* r = scratch.rsa.get();
  if (r == nullptr || r->key_id != rsa_key_->id()) {
    // First RSA use of this scratch (or a scratch moved to another signer's key): one key
    // copy and one context per worker, never per URL.
    scratch.rsa.reset();
    std::unique_ptr<Scratch::Rsa, Scratch::RsaDeleter> fresh(new (std::nothrow) Scratch::Rsa);
    if (!fresh) return false;
    fresh->pkey = EVP_PKEY_dup(rsa_key_->impl().pkey);
    if (fresh->pkey != nullptr) {
      fresh->ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, fresh->pkey, nullptr);
    }
    if (fresh->ctx == nullptr || EVP_PKEY_sign_init(fresh->ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(fresh->ctx, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(fresh->ctx, EVP_sha256()) != 1) {
      ERR_clear_error();
      return false;
    }
    fresh->key_id = rsa_key_->id();
    scratch.rsa = std::move(fresh);
    r = scratch.rsa.get();
  }
  // EVP_PKEY_sign with a signature digest set: PKCS#1 v1.5 over DigestInfo(SHA-256, digest),
  // the same bytes EVP_DigestSign produces from the message.
  std::size_t len = sizeof r->sig;
  if (EVP_PKEY_sign(r->ctx, r->sig, &len, digest32, 32) != 1) {
    ERR_clear_error();
    return false;
  }
  sig_len = len;
  return true;
}

SignError GcsPresigner::sign(ObjectRef const& object, Scratch& scratch,
                             std::string& out) const noexcept {
  if (object.key.empty()) return SignError::kEmptyKey;
  if (object.key.size() > kMaxKeyBytes) return SignError::kKeyTooLong;
  if (!is_valid_object_name(object.key)) return SignError::kInvalidKey;
  std::size_t const n = uri_encode(object.key, scratch.encoded_key, /*keep_slash=*/true);
  std::string_view const enc{scratch.encoded_key, n};
  char cr_hex[64];
  canonical_digest_hex(enc, cr_hex);
  crypto::Sha256 sts = sts_head_;
  sts.update(cr_hex, sizeof cr_hex);
  std::uint8_t digest[32];
  if (algorithm_ == Algorithm::kHmacSha256) {
    key_.finish(sts, digest);
    char sig[64];
    crypto::hex_lower(digest, sizeof digest, sig);
    out.append(url_prefix_);
    out.append(enc);
    out.append(query_);
    out.append(sig, sizeof sig);
    return SignError::kOk;
  }
  sts.final(digest);
  std::size_t sig_len = 0;
  if (!rsa_sign(scratch, digest, sig_len)) return SignError::kCryptoFailed;
  char sig[2 * kMaxRsaBytes];
  crypto::hex_lower(scratch.rsa->sig, sig_len, sig);
  out.append(url_prefix_);
  out.append(enc);
  out.append(query_);
  out.append(sig, 2 * sig_len);
  return SignError::kOk;
}

std::string GcsPresigner::canonical_request(std::string_view key) const {
  std::string cr = method_ + "\n" + path_prefix_;
  append_uri_encoded(cr, key, true);
  cr += cr_suffix_;
  return cr;
}

std::string GcsPresigner::string_to_sign(std::string_view key) const {
  crypto::Sha256 h;
  h.update(canonical_request(key));
  return sts_prefix_ + crypto::hex_lower(h.final());
}

}  // namespace presign::signers::gcs
