#include "presign/signers/sigv4.hpp"
#include "presign/core/endpoint.hpp"
#include "presign/core/text.hpp"

#include "presign/signers/uri.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

namespace presign::signers::sigv4 {
namespace {

// SigV4 header value canonical form: trim both ends, fold each run of spaces to one.
std::string trim_fold(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Removes "." and ".." segments and empty segments, keeping a trailing '/'.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segs;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segs.push_back(seg);
    }
    i = j + 1;
  }
  std::string out = "/";
  for (std::size_t k = 0; k < segs.size(); ++k) {
    if (k) out += '/';
    out += segs[k];
  }
  bool trailing =
      path.size() > 1 && (path.ends_with('/') || path.ends_with("/.") || path.ends_with("/.."));
  if (trailing && !segs.empty()) out += '/';
  return out;
}

bool valid_region(std::string_view r) {
  if (r.empty() || r.size() > 64) return false;
  return std::all_of(r.begin(), r.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

std::string canonical_uri(std::string_view path, PathOptions options) {
  std::string p = options.normalize ? normalize_path(path) : std::string(path);
  if (p.empty()) p.assign(1, '/');
  std::string out;
  append_uri_encoded(out, p, /*keep_slash=*/true);
  return out;
}

std::string canonical_request(HttpRequestParts const& req, PathOptions options,
                              std::string* signed_headers) {
  std::string out = req.method;
  out += '\n';
  out += canonical_uri(req.path, options);
  out += '\n';

  // Query: encode names and values (RFC 3986, '/' encoded), then sort by name, then value.
  std::vector<std::pair<std::string, std::string>> q;
  q.reserve(req.query.size());
  for (auto const& [k, v] : req.query) {
    std::string ek, ev;
    append_uri_encoded(ek, k, false);
    append_uri_encoded(ev, v, false);
    q.emplace_back(std::move(ek), std::move(ev));
  }
  std::sort(q.begin(), q.end());
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (i) out += '&';
    out += q[i].first;
    out += '=';
    out += q[i].second;
  }
  out += '\n';

  // Headers: lower-case names, canonical values, duplicates joined with ',' in request order.
  std::vector<std::pair<std::string, std::string>> h;
  for (auto const& [k, v] : req.headers) {
    std::string name = ascii_to_lower(k);
    std::string value = trim_fold(v);
    auto it = std::find_if(h.begin(), h.end(), [&](auto const& e) { return e.first == name; });
    if (it == h.end()) {
      h.emplace_back(std::move(name), std::move(value));
    } else {
      it->second += ',';
      it->second += value;
    }
  }
  std::stable_sort(h.begin(), h.end(),
                   [](auto const& a, auto const& b) { return a.first < b.first; });
  std::string names;
  for (auto const& [k, v] : h) {
    out += k;
    out += ':';
    out += v;
    out += '\n';
    if (!names.empty()) names += ';';
    names += k;
  }
  out += '\n';
  out += names;
  out += '\n';
  out += req.payload_hash;
  if (signed_headers) *signed_headers = names;
  return out;
}

std::string credential_scope(std::string_view day, std::string_view region,
                             std::string_view service, std::string_view terminator) {
  std::string s(day);
  s += '/';
  s += region;
  s += '/';
  s += service;
  s += '/';
  s += terminator;
  return s;
}

std::string string_to_sign(std::string_view algorithm, std::string_view amz_date,
                           std::string_view scope, std::string_view canonical_request) {
  crypto::Sha256 h;
  h.update(canonical_request);
  auto const d = h.final();
  std::string s(algorithm);
  s += '\n';
  s += amz_date;
  s += '\n';
  s += scope;
  s += '\n';
  s += crypto::hex_lower(d);
  return s;
}

crypto::Digest derive_signing_key(std::string_view secret, std::string_view day,
                                  std::string_view region, std::string_view service,
                                  std::string_view key_prefix, std::string_view terminator) {
  std::string k0(key_prefix);
  k0 += secret;
  auto k1 = crypto::HmacSha256(k0).mac(day);
  std::fill(k0.begin(), k0.end(), '\0');
  auto k2 = crypto::HmacSha256(k1).mac(region);
  auto k3 = crypto::HmacSha256(k2).mac(service);
  return crypto::HmacSha256(k3).mac(terminator);
}

std::string signature(crypto::Digest const& signing_key, std::string_view sts) {
  return crypto::hex_lower(crypto::HmacSha256(signing_key).mac(sts));
}

bool is_dns_compatible_bucket(std::string_view b) noexcept {
  if (b.size() < 3 || b.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  return std::all_of(b.begin(), b.end(), [&](char c) { return alnum(c) || c == '-'; });
}

Result<S3Presigner> S3Presigner::create(S3PresignConfig config) {
  auto usage = [](std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); };
  if (config.bucket.empty()) return usage("the bucket name is empty");
  if (config.bucket.size() > 255 ||
      config.bucket.find_first_of("/?#% \t\r\n") != std::string::npos) {
    return usage("'" + config.bucket + "' is not a valid S3 bucket name");
  }
  if (!valid_region(config.region)) return usage("'" + config.region + "' is not a valid region");
  if (config.method != "GET" && config.method != "PUT" && config.method != "HEAD") {
    return usage("method must be GET, PUT or HEAD, not '" + config.method + "'");
  }
  if (config.expires_seconds < 1 || config.expires_seconds > kS3MaxExpiresSeconds) {
    return usage("S3 presigned URLs expire after 1 to 604800 seconds (7 days); " +
                 std::to_string(config.expires_seconds) + " s was asked for");
  }
  if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty()) {
    return make_error(ErrorKind::kConfig, "the access key id or the secret access key is empty");
  }

  S3Presigner s;
  // Endpoint: scheme and authority. The URL keeps the authority as given; the signed host
  // drops a default port, as botocore does.
  std::string scheme = "https";
  std::string authority;
  if (!config.endpoint.empty()) {
    auto ep = parse_endpoint(config.endpoint, EndpointRules{});
    if (!ep) return ep.error();
    scheme = std::move(ep->scheme);
    authority = ascii_to_lower(ep->authority);
  }
  bool const custom = !authority.empty();
  bool virtual_host = false;
  switch (config.addressing) {
    case Addressing::kVirtual:
      virtual_host = true;
      break;
    case Addressing::kPath:
      virtual_host = false;
      break;
    case Addressing::kAuto: {
      // botocore: DNS-compatible names go virtual-hosted, except on an endpoint that is an
      // IP address (emulators), where the endpoint rules choose path style.
      bool ip_endpoint = false;
      if (custom) {
        std::string_view host = authority;
        if (host.front() == '[') {
          ip_endpoint = true;
        } else {
          host = host.substr(0, host.find(':'));
          ip_endpoint = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == '.';
          });
        }
      }
      virtual_host = is_dns_compatible_bucket(config.bucket) && !ip_endpoint;
      break;
    }
  }
  if (virtual_host &&
      config.bucket.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos) {
    return usage("bucket '" + config.bucket +
                 "' cannot be used virtual-hosted; use --addressing path");
  }
  // botocore 1.29: virtual-hosted URLs use the global `BUCKET.s3.amazonaws.com` in every
  // region (DNS routes the bucket to its region); path style uses `s3.amazonaws.com` in
  // us-east-1 and `s3.REGION.amazonaws.com` elsewhere.
  std::string base = custom ? authority
                     : (virtual_host || config.region == "us-east-1")
                         ? std::string("s3.amazonaws.com")
                         : "s3." + config.region + ".amazonaws.com";
  std::string url_authority = virtual_host ? config.bucket + "." + base : base;
  s.host_ = url_authority;
  if ((scheme == "http" && s.host_.ends_with(":80")) ||
      (scheme == "https" && s.host_.ends_with(":443"))) {
    s.host_.resize(s.host_.rfind(':'));
  }
  s.path_prefix_ = "/";
  if (!virtual_host) {
    append_uri_encoded(s.path_prefix_, config.bucket, false);
    s.path_prefix_ += '/';
  }
  s.url_prefix_ = scheme + "://" + url_authority + s.path_prefix_;

  char iso[17];
  char day[9];
  format_amz_date(config.signing_time, iso, day);
  std::string const scope = credential_scope(day, config.region, "s3");

  // Canonical query, sorted by encoded name: X-Amz-Algorithm, -Credential, -Date, -Expires,
  // [-Security-Token], -SignedHeaders, then the lower-case response-* overrides.
  std::string cred;
  append_uri_encoded(cred, config.credentials.access_key_id + "/" + scope, false);
  std::string token;
  append_uri_encoded(token, config.credentials.session_token, false);
  std::string const expires = std::to_string(config.expires_seconds);
  std::string overrides;  // already in sorted order: disposition < type
  auto add_override = [&](std::string_view name, std::string const& value) {
    if (value.empty()) return;
    overrides += '&';
    overrides += name;
    overrides += '=';
    append_uri_encoded(overrides, value, false);
  };
  add_override("response-content-disposition", config.response_content_disposition);
  add_override("response-content-type", config.response_content_type);

  std::string cq = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + cred +
                   "&X-Amz-Date=" + iso + "&X-Amz-Expires=" + expires;
  if (!token.empty()) cq += "&X-Amz-Security-Token=" + token;
  cq += "&X-Amz-SignedHeaders=host";
  cq += overrides;
  s.cr_suffix_ = "\n" + cq + "\nhost:" + s.host_ + "\n\nhost\nUNSIGNED-PAYLOAD";

  // URL query in botocore's order: request parameters first, then the auth parameters in
  // the order the signer adds them, the signature last.
  std::string uq = "?";
  if (!overrides.empty()) uq += overrides.substr(1) + "&";
  uq += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + cred + "&X-Amz-Date=" + iso +
        "&X-Amz-Expires=" + expires + "&X-Amz-SignedHeaders=host";
  if (!token.empty()) uq += "&X-Amz-Security-Token=" + token;
  uq += "&X-Amz-Signature=";
  s.query_ = std::move(uq);

  s.cr_head_.update(config.method);
  s.cr_head_.update("\n", 1);
  s.cr_head_.update(s.path_prefix_);

  s.sts_prefix_ = std::string("AWS4-HMAC-SHA256\n") + iso + "\n" + scope + "\n";
  auto signing_key =
      derive_signing_key(config.credentials.secret_access_key, day, config.region, "s3");
  s.key_ = crypto::HmacSha256(signing_key);
  auto pads = crypto::hmac_sha256_midstates(signing_key);
  std::fill(signing_key.begin(), signing_key.end(), std::uint8_t{0});
  s.sts_head_ = s.key_.inner();
  s.sts_head_.update(s.sts_prefix_);

  // Multi-buffer midstates hold whole blocks only; what is left of each constant head
  // (e.g. "GET\n/" with a virtual-hosted bucket) starts every lane's tail instead.
  std::string const cr_head = config.method + "\n" + s.path_prefix_;
  s.cr_mid_ = crypto::Sha256Midstate::initial();
  s.cr_rest_ = cr_head.substr(s.cr_mid_.absorb_blocks(cr_head.data(), cr_head.size()));
  s.sts_mid_ = pads.inner;
  s.sts_rest_ =
      s.sts_prefix_.substr(s.sts_mid_.absorb_blocks(s.sts_prefix_.data(), s.sts_prefix_.size()));
  s.mac_outer_ = pads.outer;
  pads = {};  // key material: keep only the signer's copies
  // A lane's canonical-request tail: the head's rest, the key encoded (3 bytes per key byte
  // at most), the constant suffix; rounded to 64 bytes so lanes start on cache lines.
  s.lane_stride_ = (s.cr_rest_.size() + 3 * kMaxKeyBytes + s.cr_suffix_.size() + 63) / 64 * 64;
  static std::atomic<std::uint64_t> next_lanes_id{1};
  s.lanes_id_ = next_lanes_id.fetch_add(1, std::memory_order_relaxed);
  s.config_ = std::move(config);
  return s;
}

void S3Presigner::signature_hex(std::string_view encoded_key, char* out64) const noexcept {
  crypto::Sha256 cr = cr_head_;
  cr.update(encoded_key);
  cr.update(cr_suffix_);
  std::uint8_t digest[32];
  cr.final(digest);
  char hex[64];
  crypto::hex_lower(digest, 32, hex);
  crypto::Sha256 inner = sts_head_;
  inner.update(hex, sizeof hex);
  key_.finish(inner, digest);
  crypto::hex_lower(digest, 32, out64);
}

SignError S3Presigner::sign(ObjectRef const& object, Scratch& scratch,
                            std::string& out) const noexcept {
  if (object.key.empty()) return SignError::kEmptyKey;
  if (object.key.size() > kMaxKeyBytes) return SignError::kKeyTooLong;
  std::size_t const n = uri_encode(object.key, scratch.encoded_key, /*keep_slash=*/true);
  std::string_view const enc{scratch.encoded_key, n};
  char sig[64];
  signature_hex(enc, sig);
  out.append(url_prefix_);
  out.append(enc);
  out.append(query_);
  out.append(sig, sizeof sig);
  return SignError::kOk;
}

// One sha256_finish_many call hashes a whole group.
static_assert(kMaxSignGroup <= crypto::kSha256MaxLanes);

std::size_t S3Presigner::sign_group(std::span<ObjectRef const> objects, Scratch& scratch,
                                    std::span<SignError, kMaxSignGroup> errors) const noexcept {
  std::size_t const n = std::min(objects.size(), kMaxSignGroup);
  if (n == 0) return 0;
  std::size_t const want = kMaxSignGroup * lane_stride_;
  if (scratch.lanes_bytes < want) {
    // First use of this scratch (or a signer with a longer query): size it once. Without
    // memory for the lanes, sign one object the single-stream way so the caller progresses.
    scratch.lanes.reset(new (std::nothrow) char[want]);
    scratch.lanes_bytes = scratch.lanes ? want : 0;
    scratch.lanes_owner = 0;
    if (!scratch.lanes) {
      ObjectRef const& object = objects[0];
      SignError err = SignError::kOk;
      if (object.key.empty()) {
        err = SignError::kEmptyKey;
      } else if (object.key.size() > kMaxKeyBytes) {
        err = SignError::kKeyTooLong;
      } else {
        std::size_t const size = uri_encode(object.key, scratch.encoded_key, /*keep_slash=*/true);
        scratch.key[0] = scratch.encoded_key;
        scratch.key_size[0] = size;
        signature_hex({scratch.encoded_key, size}, scratch.signature[0]);
      }
      errors[0] = scratch.error[0] = err;
      return 1;
    }
  }

  // Lane k of the group: canonical request = cr_rest_ ‖ encoded key ‖ cr_suffix_ resumed from
  // cr_mid_; its hex digest is written by the hashing straight after sts_rest_ in sts[k], which
  // is then the HMAC message tail resumed from sts_mid_ (ipad + constant STS head).
  crypto::Sha256Lane cr[kMaxSignGroup];
  crypto::Sha256Lane mac[kMaxSignGroup];
  std::size_t lanes = 0;
  std::size_t const rest = cr_rest_.size();
  std::size_t const sts_rest = sts_rest_.size();
  if (scratch.lanes_owner != lanes_id_) {
    // The lanes last held another signer's constants (or none): write this one's head rest
    // once; every suffix is written again below.
    for (std::size_t k = 0; k < kMaxSignGroup; ++k) {
      std::memcpy(scratch.lanes.get() + k * lane_stride_, cr_rest_.data(), rest);
      scratch.suffix_at[k] = 0;
    }
    scratch.lanes_owner = lanes_id_;
  }
  for (std::size_t k = 0; k < n; ++k) {
    std::string_view const key = objects[k].key;
    SignError err = SignError::kOk;
    if (key.empty()) err = SignError::kEmptyKey;
    if (key.size() > kMaxKeyBytes) err = SignError::kKeyTooLong;
    errors[k] = scratch.error[k] = err;
    if (err != SignError::kOk) continue;
    char* const lane = scratch.lanes.get() + k * lane_stride_;
    std::size_t const size = uri_encode(key, lane + rest, /*keep_slash=*/true);
    // Keys of one batch often have the same length: then the suffix written after the last
    // key of this lane is still in place, untouched by the new key (~10 ns per URL saved).
    if (scratch.suffix_at[k] != rest + size) {
      std::memcpy(lane + rest + size, cr_suffix_.data(), cr_suffix_.size());
      scratch.suffix_at[k] = rest + size;
    }
    scratch.key[k] = lane + rest;
    scratch.key_size[k] = size;
    char* const sts = scratch.sts[k];
    std::memcpy(sts, sts_rest_.data(), sts_rest);
    cr[lanes] = {&cr_mid_, reinterpret_cast<std::uint8_t const*>(lane),
                 rest + size + cr_suffix_.size(), reinterpret_cast<std::uint8_t*>(sts + sts_rest)};
    mac[lanes] = {&sts_mid_, reinterpret_cast<std::uint8_t const*>(sts), sts_rest + 64,
                  reinterpret_cast<std::uint8_t*>(scratch.signature[k])};
    ++lanes;
  }
  if (lanes != 0) {
    crypto::sha256_finish_many({cr, lanes}, crypto::DigestFormat::kHexLower);
    crypto::hmac_sha256_finish_many(mac_outer_, {mac, lanes}, crypto::DigestFormat::kHexLower);
  }
  return n;
}

void S3Presigner::append_group_url(Scratch const& scratch, std::size_t i,
                                   std::string& out) const noexcept {
  if (i >= kMaxSignGroup || scratch.error[i] != SignError::kOk || scratch.key[i] == nullptr) {
    return;
  }
  out.append(url_prefix_);
  out.append(scratch.key[i], scratch.key_size[i]);
  out.append(query_);
  out.append(scratch.signature[i], sizeof scratch.signature[i]);
}

std::string S3Presigner::canonical_request(std::string_view key) const {
  std::string cr = config_.method + "\n" + path_prefix_;
  append_uri_encoded(cr, key, true);
  cr += cr_suffix_;
  return cr;
}

std::string S3Presigner::string_to_sign(std::string_view key) const {
  crypto::Sha256 h;
  h.update(canonical_request(key));
  auto d = h.final();
  return sts_prefix_ + crypto::hex_lower(d);
}

}  // namespace presign::signers::sigv4
