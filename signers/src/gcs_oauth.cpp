// The service-account JWT assertion (see gcs_oauth.hpp for the contract).
//
// The signature reuses ServiceAccountKey::sign_hex (one-shot EVP_DigestSign, PKCS#1 v1.5,
// SHA-256) and turns its hex back into bytes: an assertion is made once an hour at most, so
// the detour costs nothing and the key stays opaque outside the GCS V4 signer.
#include "presign/signers/gcs_oauth.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <vector>

namespace presign::signers::gcs::oauth {
namespace {

Error config_error(std::string m) { return make_error(ErrorKind::kConfig, std::move(m)); }

bool url_safe_text(std::string_view s) {
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool starts_with_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != p[i]) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<ServiceAccountInfo> parse_service_account_info(std::string_view json,
                                                      std::string_view origin) {
  simdjson::padded_string padded(json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return config_error(std::string(origin) + " is not valid JSON");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return config_error(std::string(origin) + " is not a JSON object");
  }
  // Reads an optional string member; false when present but not a string.
  auto member = [&](char const* name, std::string& out) {
    simdjson::dom::element e;
    if (obj[name].get(e) != simdjson::SUCCESS) return true;  // absent
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return false;
    out.assign(s);
    return true;
  };
  ServiceAccountInfo info;
  if (!member("client_email", info.client_email) || info.client_email.empty()) {
    return config_error(std::string(origin) + " has no \"client_email\" string");
  }
  if (!member("private_key_id", info.private_key_id)) {
    return config_error(std::string(origin) + ": \"private_key_id\" is not a string");
  }
  if (!member("token_uri", info.token_uri)) {
    return config_error(std::string(origin) + ": \"token_uri\" is not a string");
  }
  if (info.token_uri.empty()) info.token_uri = std::string(kDefaultTokenUri);
  bool const http = starts_with_ci(info.token_uri, "http://");
  bool const https = starts_with_ci(info.token_uri, "https://");
  std::size_t const host_at = https ? 8 : 7;
  if ((!http && !https) || info.token_uri.size() <= host_at || !url_safe_text(info.token_uri) ||
      info.token_uri.size() > 2048) {
    // The value is not a secret; quote it (cut) so the user sees what is wrong.
    return config_error(std::string(origin) +
                        ": \"token_uri\" must be an http:// or https:// URL, not '" +
                        info.token_uri.substr(0, 200) + "'");
  }
  if (!url_safe_text(info.client_email) || info.client_email.size() > 1024) {
    return config_error(std::string(origin) + ": \"client_email\" is not a plain e-mail address");
  }
  return info;
}

std::string base64url(std::span<std::uint8_t const> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t const v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) |
                            std::uint32_t{bytes[i + 2]};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t const rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t const v = std::uint32_t{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    std::uint32_t const v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string base64url(std::string_view bytes) {
  return base64url(std::span{reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size()});
}

std::string json_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string jwt_header_json(std::string_view kid) {
  std::string h = R"({"alg":"RS256","typ":"JWT")";
  if (!kid.empty()) h += ",\"kid\":" + json_quote(kid);
  h += '}';
  return h;
}

std::string jwt_claims_json(JwtClaims const& c) {
  return "{\"iss\":" + json_quote(c.iss) + ",\"scope\":" + json_quote(c.scope) +
         ",\"aud\":" + json_quote(c.aud) + ",\"iat\":" + std::to_string(c.iat) +
         ",\"exp\":" + std::to_string(c.exp) + "}";
}

JwtClaims make_claims(ServiceAccountInfo const& info, SigningTime now, std::string_view scope) {
  JwtClaims c;
  c.iss = info.client_email;
  c.scope = std::string(scope);
  c.aud = info.token_uri;
  c.iat = now.time_since_epoch().count();
  c.exp = c.iat + kAssertionLifetimeSeconds;
  return c;
}

std::string jwt_signing_input(std::string_view header_json, std::string_view claims_json) {
  return base64url(header_json) + "." + base64url(claims_json);
}

Result<std::string> make_assertion(ServiceAccountKey const& key, ServiceAccountInfo const& info,
                                   SigningTime now, std::string_view scope) {
  if (key.client_email() != info.client_email) {
    return config_error("the key's client_email " + key.client_email() +
                        " differs from the token flow's " + info.client_email);
  }
  std::string input = jwt_signing_input(jwt_header_json(info.private_key_id),
                                        jwt_claims_json(make_claims(info, now, scope)));
  auto hex = key.sign_hex(input);
  if (!hex) return hex.error();
  if (hex->size() % 2 != 0) return make_error(ErrorKind::kInternal, "odd-length RSA signature hex");
  std::vector<std::uint8_t> sig(hex->size() / 2);
  for (std::size_t i = 0; i < sig.size(); ++i) {
    int const hi = hex_value((*hex)[2 * i]);
    int const lo = hex_value((*hex)[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(ErrorKind::kInternal, "bad RSA signature hex");
    sig[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  input += '.';
  input += base64url(std::span<std::uint8_t const>(sig));
  return input;
}

std::string token_request_body(std::string_view assertion) {
  std::string body = "grant_type=";
  body += kJwtBearerGrantType;
  body += "&assertion=";
  body += assertion;
  return body;
}

}  // namespace presign::signers::gcs::oauth
