// libFuzzer target: the two JSON documents of the GCS OAuth2 flow that come from outside:
// the token endpoint's answer (io::parse_token_response) and the service-account key file's
// token-flow fields (signers::gcs::oauth::parse_service_account_info). For any input:
//  - neither crashes;
//  - an accepted token response has a header-safe token and 0 < expires_in <= 7 days;
//  - accepted key-file fields have a non-empty client_email and an http(s) token_uri (scheme
//    in any case);
//  - no error message quotes the input's token (the input is built to hold a marker).
// Run by scripts/fuzz.sh; seeds in corpus/gcs_token/, past crashes in regressions/gcs_token/.

#include "fuzz_check.hpp"
#include "presign/io/gcs_lister.hpp"
#include "presign/signers/gcs_oauth.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace presign::fuzz {

int gcs_token_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);

  if (auto r = io::parse_token_response(in)) {
    PRESIGN_FUZZ_CHECK(io::is_header_safe_token(r->access_token));
    PRESIGN_FUZZ_CHECK(r->expires_in > 0 && r->expires_in <= 7 * 24 * 3600);
  } else {
    PRESIGN_FUZZ_CHECK(r.error().kind == ErrorKind::kProtocol);
    PRESIGN_FUZZ_CHECK(!r.error().detail.empty());
  }

  // The same bytes, after a marker, as the token of a well-formed answer: accepted exactly
  // when they are header-safe, and the marker (so the token) never in the error when refused.
  constexpr std::string_view kMarker = "Zq9xMARK";
  bool plain = !in.empty();
  for (char c : in) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) plain = false;
  }
  if (plain) {
    std::string token(kMarker);
    token.append(in);
    std::string const wrapped =
        "{\"access_token\":\"" + token + "\",\"expires_in\":3599,\"token_type\":\"Bearer\"}";
    auto r = io::parse_token_response(wrapped);
    if (r) {
      PRESIGN_FUZZ_CHECK(r->access_token == token && r->expires_in == 3599);
    } else {
      PRESIGN_FUZZ_CHECK(r.error().detail.find(kMarker) == std::string::npos);
      // Refused either as JSON (invalid UTF-8 in `in`) or as a token a header cannot carry.
      bool const not_json = r.error().detail.find("not valid JSON") != std::string::npos;
      PRESIGN_FUZZ_CHECK(not_json || !io::is_header_safe_token(token));
    }
  }

  if (auto info = signers::gcs::oauth::parse_service_account_info(in, "fuzz.json")) {
    PRESIGN_FUZZ_CHECK(!info->client_email.empty());
    std::string uri = info->token_uri.substr(0, 8);  // the scheme is case-insensitive
    for (char& c : uri) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    PRESIGN_FUZZ_CHECK(uri.starts_with("http://") || uri.starts_with("https://"));
  } else {
    PRESIGN_FUZZ_CHECK(!info.error().detail.empty());
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::gcs_token_one(data, size);
}
#endif
