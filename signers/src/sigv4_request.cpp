// SigV4 header auth (see sigv4_request.hpp): the staged functions of sigv4.cpp composed,
// with the input checks a request builder needs before anything goes on the wire.
#include "presign/signers/sigv4_request.hpp"
#include "presign/core/text.hpp"

#include <algorithm>
#include <cstddef>

namespace presign::signers::sigv4 {
namespace {

bool has_crlf(std::string_view s) noexcept {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

Error usage(std::string m) { return make_error(ErrorKind::kUsage, std::move(m)); }

// Everything but the key derivation; `key_for_day` returns the signing key for a day.
template <class KeyForDay>
Result<SignedHeaders> sign_impl(HttpRequestParts const& request, Credentials const& credentials,
                                HeaderSigningOptions const& options, SigningTime when,
                                KeyForDay&& key_for_day) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return make_error(ErrorKind::kConfig, "the access key id or the secret access key is empty");
  }
  if (has_crlf(credentials.access_key_id) || has_crlf(credentials.session_token)) {
    return make_error(ErrorKind::kConfig,
                      "the access key id or the session token contains a line break");
  }
  if (options.region.empty() || options.service.empty()) {
    return usage("SigV4 header signing needs a region and a service");
  }
  if (request.payload_hash.empty()) return usage("SigV4 header signing needs a payload hash");
  if (request.method.empty() || has_crlf(request.method) || has_crlf(request.path)) {
    return usage("the request method or path is empty or contains a line break");
  }
  bool host = false;
  for (auto const& [name, value] : request.headers) {
    if (name.empty() || has_crlf(name) || has_crlf(value) || name.find(':') != std::string::npos) {
      return usage("header '" + (has_crlf(name) ? std::string("?") : name) +
                   "' has an empty or invalid name or a line break in its value");
    }
    if (ascii_iequals(name, "host")) host = true;
    for (std::string_view added :
         {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}) {
      if (ascii_iequals(name, added)) {
        return usage("header '" + name + "' is added by the signer; do not set it");
      }
    }
  }
  if (!host) return usage("the request has no Host header to sign");

  char amz_date[17];
  char day[9];
  format_amz_date(when, amz_date, day);

  SignedHeaders out;
  bool const token = !credentials.session_token.empty();
  if (token) out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  out.headers.emplace_back("X-Amz-Date", std::string(amz_date, 16));
  if (options.content_sha256_header) {
    out.headers.emplace_back("x-amz-content-sha256", request.payload_hash);
  }

  HttpRequestParts parts = request;
  for (auto const& h : out.headers) {
    if (h.first == "X-Amz-Security-Token" && !options.sign_session_token) continue;
    parts.headers.push_back(h);
  }
  out.canonical_request = canonical_request(parts, options.path, &out.signed_headers);
  std::string const scope = credential_scope(day, options.region, options.service);
  out.string_to_sign = string_to_sign("AWS4-HMAC-SHA256", amz_date, scope, out.canonical_request);
  out.signature = signature(key_for_day(std::string_view(day, 8)), out.string_to_sign);

  std::string auth = "AWS4-HMAC-SHA256 Credential=";
  auth += credentials.access_key_id;
  auth += '/';
  auth += scope;
  auth += ", SignedHeaders=";
  auth += out.signed_headers;
  auth += ", Signature=";
  auth += out.signature;
  out.headers.emplace_back("Authorization", std::move(auth));
  return out;
}

}  // namespace

std::string_view SignedHeaders::get(std::string_view name) const noexcept {
  for (auto const& [n, v] : headers) {
    if (ascii_iequals(n, name)) return v;
  }
  return {};
}

std::string payload_sha256_hex(std::string_view body) {
  crypto::Sha256 h;
  h.update(body);
  return crypto::hex_lower(h.final());
}

Result<SignedHeaders> sign_request_headers(HttpRequestParts const& request,
                                           Credentials const& credentials,
                                           HeaderSigningOptions const& options, SigningTime when) {
  return sign_impl(request, credentials, options, when, [&](std::string_view day) {
    return derive_signing_key(credentials.secret_access_key, day, options.region, options.service);
  });
}

RequestSigner::RequestSigner(Credentials credentials, HeaderSigningOptions options)
    : credentials_(std::move(credentials)), options_(std::move(options)) {}

Result<SignedHeaders> RequestSigner::sign(HttpRequestParts const& request, SigningTime when) {
  return sign_impl(request, credentials_, options_, when, [&](std::string_view day) {
    if (key_day_ != day) {
      key_ = derive_signing_key(credentials_.secret_access_key, day, options_.region,
                                options_.service);
      key_day_ = std::string(day);
    }
    return key_;
  });
}

}  // namespace presign::signers::sigv4
