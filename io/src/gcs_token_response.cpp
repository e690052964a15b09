// The OAuth2 token endpoint's answer (gcs_lister.hpp parse_token_response), apart from the
// fetcher so that the fuzz target (tests/fuzz/gcs_token_fuzz.cpp) can link it without the
// HTTP client. The body is untrusted: anything but the documented shape is kProtocol, and the
// token is never quoted.
#include "presign/io/gcs_lister.hpp"
#include "presign/core/text.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::io {
namespace {}  // namespace

bool is_header_safe_token(std::string_view t) noexcept {
  return !t.empty() && t.size() <= 8192 && std::all_of(t.begin(), t.end(), [](char c) {
    auto const u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

Result<AccessTokenResponse> parse_token_response(std::string_view body) {
  auto bad = [](std::string m) {
    return make_error(ErrorKind::kProtocol, "token response: " + std::move(m));
  };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  // The input (and so the token) is wiped on every return path.
  struct Wipe {
    simdjson::padded_string& p;
    ~Wipe() { OPENSSL_cleanse(p.data(), p.size()); }
  } const wipe_input{padded};
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return bad("not valid JSON");
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return bad("not a JSON object");
  AccessTokenResponse out;
  std::string_view token;
  if (obj["access_token"].get_string().get(token) != simdjson::SUCCESS) {
    return bad("no \"access_token\" string");
  }
  if (!is_header_safe_token(token)) {
    return bad("\"access_token\" is empty or has bytes an HTTP header cannot carry");
  }
  simdjson::dom::element e;
  if (obj["expires_in"].get(e) == simdjson::SUCCESS) {
    std::int64_t v = 0;
    if (e.get_int64().get(v) != simdjson::SUCCESS) {
      // Some servers send it as a string of digits.
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > 12 ||
          !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return bad("\"expires_in\" is not a number of seconds");
      }
      v = std::stoll(std::string(s));
    }
    if (v <= 0 || v > 7 * 24 * 3600)
      return bad("\"expires_in\" " + std::to_string(v) + " is out of range");
    out.expires_in = v;
  }
  std::string_view type;
  if (obj["token_type"].get(e) == simdjson::SUCCESS) {
    if (e.get_string().get(type) != simdjson::SUCCESS || ascii_to_lower(type) != "bearer") {
      return bad("\"token_type\" is not Bearer");
    }
  }
  out.access_token.assign(token);
  return out;
}

}  // namespace presign::io
