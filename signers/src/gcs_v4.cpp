// GCS V4 signed URLs (GOOG4-RSA-SHA256 and GOOG4-HMAC-SHA256).
//
// References: the GCS "V4 signing process" documentation (canonical request, string to sign,
// X-Goog-* query parameters); the googleapis conformance vectors
// (storage/v1/v4_signatures.json) for the generic stages; Google's Node client
// (@google-cloud/storage 7.22.0, src/signer.ts and src/util.ts) for the byte-exact URL the
// batch presigner reproduces. Nothing here is copied from them; where we follow one of them
// on a detail the comment says which.
#include "presign/signers/gcs_v4.hpp"

#include "gcs_v4_detail.hpp"

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

namespace presign::signers::gcs {
namespace {

using namespace detail;

constexpr std::string_view kDefaultUniverse = "googleapis.com";
// The longest PEM key accepted (a key file is at most 1 MiB).
constexpr std::size_t kMaxPemBytes = 1 << 20;
// RSA signature sizes accepted: 1,024 to 4,096-bit moduli (Google issues 2,048-bit keys).
constexpr std::size_t kMinRsaBytes = 128;

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

int no_password(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return 0;  // encrypted PEM keys are refused instead of prompting on the terminal
}

std::atomic<std::uint64_t> g_next_key_id{1};

}  // namespace

// ---- Shared with the batch presigner (gcs_v4_detail.hpp) ----------------------------------

namespace detail {

std::string encoded(std::string_view s, bool keep_slash) {
  std::string out;
  append_uri_encoded(out, s, keep_slash);
  return out;
}

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

Result<void> check_batch_options(GcsPresignConfig const& config) {
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
  return {};
}

}  // namespace detail

Result<void> validate_config_except_key(GcsPresignConfig const& config) {
  if (auto r = detail::check_batch_options(config); !r) return r;
  if (!config.endpoint.empty()) {
    if (auto ep = detail::parse_endpoint(config.endpoint, "endpoint", /*need_scheme=*/true); !ep) {
      return ep.error();
    }
  }
  return {};
}

// ---- Keys --------------------------------------------------------------------------------

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
  if (pem.empty() || pem.size() > kMaxPemBytes) {
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

// ---- Generic staged API ------------------------------------------------------------------

std::string_view algorithm_name(Algorithm a) noexcept {
  return a == Algorithm::kRsaSha256 ? "GOOG4-RSA-SHA256" : "GOOG4-HMAC-SHA256";
}

Algorithm algorithm_of(Credentials const& c) noexcept {
  return std::holds_alternative<HmacKey>(c) ? Algorithm::kHmacSha256 : Algorithm::kRsaSha256;
}

std::string const& credential_id(Credentials const& c) noexcept {
  if (auto const* k = std::get_if<ServiceAccountKey>(&c)) return k->client_email();
  if (auto const* e = std::get_if<ExternalServiceAccount>(&c)) return e->client_email;
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
  if (std::holds_alternative<ExternalServiceAccount>(credentials)) {
    return usage_error("a service account without a key signs through a signing service");
  }
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

}  // namespace presign::signers::gcs
