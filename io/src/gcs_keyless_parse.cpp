// The answers of keyless GCS signing that come from outside (gcs_keyless.hpp): the metadata
// server's e-mail, signBlob's and generateAccessToken's JSON. Apart from the HTTP code so that
// the fuzz targets (tests/fuzz/gcs_sign_blob_fuzz.cpp, gcs_access_token_fuzz.cpp) link them
// alone. Bodies are untrusted: anything but
// the documented shape is kProtocol, and nothing of them is quoted but a short printable cut
// of a field name.
#include "presign/io/gcs_keyless.hpp"

#include "presign/core/base64.hpp"
#include "presign/core/time.hpp"
#include "presign/io/gcs_lister.hpp"

#include <simdjson.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace presign::io {

bool is_service_account_email(std::string_view e) noexcept {
  if (e.size() < 3 || e.size() > 254) return false;
  auto const at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == e.size()) return false;
  if (e.find('@', at + 1) != std::string_view::npos) return false;
  return std::all_of(e.begin(), e.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '-' || c == '@';
  });
}

Result<std::string> parse_metadata_email(std::string_view body) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!body.empty() && is_space(body.front())) body.remove_prefix(1);
  while (!body.empty() && is_space(body.back())) body.remove_suffix(1);
  if (!is_service_account_email(body)) {
    return make_error(ErrorKind::kProtocol,
                      "the metadata server's answer is not a service-account e-mail");
  }
  return std::string(body);
}

Result<SignBlobResponse> parse_sign_blob_response(std::string_view body) {
  auto bad = [](std::string m) {
    return make_error(ErrorKind::kProtocol, "signBlob response: " + std::move(m));
  };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return bad("not valid JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return bad("not a JSON object");
  SignBlobResponse out;
  std::string_view blob;
  if (obj["signedBlob"].get_string().get(blob) != simdjson::SUCCESS) {
    return bad("no \"signedBlob\" string");
  }
  // 512 bytes (a 4,096-bit key) are 684 base64 characters.
  if (blob.empty() || blob.size() > 684 || !base64_decode(blob, out.signature) ||
      out.signature.empty() || out.signature.size() > 512) {
    return bad("\"signedBlob\" is not the base64 of a signature of 1 to 512 bytes");
  }
  simdjson::dom::element e;
  if (obj["keyId"].get(e) == simdjson::SUCCESS) {
    std::string_view id;
    if (e.get_string().get(id) != simdjson::SUCCESS) return bad("\"keyId\" is not a string");
    out.key_id.assign(id.substr(0, 128));
  }
  return out;
}

Result<GeneratedAccessToken> parse_generate_access_token_response(std::string_view body) {
  auto bad = [](std::string m) {
    return make_error(ErrorKind::kProtocol, "generateAccessToken response: " + std::move(m));
  };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return bad("not valid JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return bad("not a JSON object");
  std::string_view token;
  if (obj["accessToken"].get_string().get(token) != simdjson::SUCCESS) {
    return bad("no \"accessToken\" string");
  }
  if (!is_header_safe_token(token)) {
    return bad("\"accessToken\" is not 1 to 8,192 bytes of visible ASCII");
  }
  std::string_view expire;
  if (obj["expireTime"].get_string().get(expire) != simdjson::SUCCESS) {
    return bad("no \"expireTime\" string");
  }
  // Google writes UTC with a 'Z' ("2014-10-02T15:01:23Z", fractions allowed); nothing else.
  auto when =
      expire.size() >= 20 && expire.size() <= 40 && expire[10] == 'T' && expire.back() == 'Z'
          ? parse_rfc3339(expire)
          : Result<SigningTime>(make_error(ErrorKind::kProtocol, ""));
  if (!when) return bad("\"expireTime\" is not an RFC 3339 UTC time");
  GeneratedAccessToken out;
  out.access_token.assign(token);
  out.expire_time = *when;
  return out;
}

}  // namespace presign::io
