// libFuzzer target: IAM generateAccessToken's answer (io::parse_generate_access_token_response,
// read when listing as an impersonated service account). For any input:
//  - it does not crash;
//  - an accepted answer has a token that can go into `Authorization: Bearer …` (1..8,192
//    bytes of visible ASCII) and that occurs in the input as it is unless the input has JSON
//    escapes (`\\` is one backslash of the token: regressions/token_with_json_escapes), and an
//    expiry that formats back to an RFC 3339 UTC time;
//  - a refusal is kProtocol, and its message quotes nothing of the input (it may be a token).
// Run by scripts/fuzz.sh; seeds in corpus/gcs_access_token/, past crashes in
// regressions/gcs_access_token/.

#include "fuzz_check.hpp"
#include "presign/core/time.hpp"
#include "presign/io/gcs_keyless.hpp"
#include "presign/io/gcs_lister.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int gcs_access_token_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  if (auto r = io::parse_generate_access_token_response(in)) {
    PRESIGN_FUZZ_CHECK(io::is_header_safe_token(r->access_token));
    PRESIGN_FUZZ_CHECK(in.find(r->access_token) != std::string_view::npos ||
                       in.find('\\') != std::string_view::npos);
    auto again = parse_rfc3339(format_rfc3339(r->expire_time));
    PRESIGN_FUZZ_CHECK(again && *again == r->expire_time);
  } else {
    PRESIGN_FUZZ_CHECK(r.error().kind == ErrorKind::kProtocol);
    PRESIGN_FUZZ_CHECK(r.error().detail.starts_with("generateAccessToken response: "));
    PRESIGN_FUZZ_CHECK(r.error().detail.size() < 120);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::gcs_access_token_one(data, size);
}
#endif
