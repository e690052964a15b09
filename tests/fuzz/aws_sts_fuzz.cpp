// libFuzzer target: STS answers (auth::aws::parse_sts_response over io::read_xml_fields).
// For any input, as a 200 and as a 403 answer:
//  - nothing crashes;
//  - a 200 accepted has a non-empty access key id and secret;
//  - a 403 is always an error of kind kAuth with http_status 403;
//  - a refused 200 is kProtocol, and its message never quotes a secret (the input is also
//    tried inside a well-formed answer whose secret is a marker).
// Run by scripts/fuzz.sh; seeds in corpus/aws_sts/, past crashes in regressions/aws_sts/.

#include "fuzz_check.hpp"
#include "presign/auth/aws_sources.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int aws_sts_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  using auth::aws::parse_sts_response;
  if (auto r = parse_sts_response(200, in, "AssumeRole")) {
    PRESIGN_FUZZ_CHECK(!r->keys.access_key_id.empty() && !r->keys.secret_access_key.empty());
  } else {
    PRESIGN_FUZZ_CHECK(r.error().kind == ErrorKind::kProtocol);
  }
  auto denied = parse_sts_response(403, in, "AssumeRole");
  PRESIGN_FUZZ_CHECK(!denied && denied.error().kind == ErrorKind::kAuth &&
                     denied.error().http_status == 403);
  constexpr std::string_view kMarker = "Zq9xSECRET";
  std::string const doc =
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId>"
      "<SecretAccessKey>" +
      std::string(kMarker) + "</SecretAccessKey><SessionToken>" + std::string(in) +
      "</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>";
  // (An input that holds the marker itself may of course be quoted.)
  bool const has_marker = in.find(kMarker) != std::string_view::npos;
  if (auto r = parse_sts_response(200, doc, "AssumeRole"); !r && !has_marker) {
    PRESIGN_FUZZ_CHECK(r.error().detail.find(kMarker) == std::string::npos);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::aws_sts_one(data, size);
}
#endif
