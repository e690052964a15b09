// libFuzzer target: credential_process output (auth::aws::parse_process_output) and the
// JSON of IMDS/container endpoints and the SSO portal, which share its field reader. For any
// input:
//  - nothing crashes;
//  - accepted keys have a non-empty access key id and secret;
//  - an error is kConfig (credential_process) or kProtocol (endpoints) and never quotes the
//    input's secret (the input is also tried wrapped around a marker secret).
// Run by scripts/fuzz.sh; seeds in corpus/aws_process/, past crashes in regressions/aws_process/.

#include "fuzz_check.hpp"
#include "presign/auth/aws_sources.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int aws_process_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  using namespace auth::aws;
  if (auto r = parse_process_output(in, "fuzz")) {
    PRESIGN_FUZZ_CHECK(!r->keys.access_key_id.empty() && !r->keys.secret_access_key.empty());
  } else {
    PRESIGN_FUZZ_CHECK(r.error().kind == ErrorKind::kConfig);
  }
  if (auto r = parse_metadata_credentials(in, "fuzz")) {
    PRESIGN_FUZZ_CHECK(!r->keys.secret_access_key.empty());
  } else {
    PRESIGN_FUZZ_CHECK(r.error().kind == ErrorKind::kProtocol);
  }
  if (auto r = parse_sso_role_credentials(in)) {
    PRESIGN_FUZZ_CHECK(!r->keys.secret_access_key.empty());
  }
  // The input as the expiry of an answer whose secret is a marker: never in a message.
  constexpr std::string_view kMarker = "Zq9xSECRET";
  bool plain = true;
  for (char c : in) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) plain = false;
  }
  // (An input that holds the marker itself may of course be quoted.)
  if (plain && in.find(kMarker) == std::string_view::npos) {
    std::string const doc = "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" +
                            std::string(kMarker) + "\",\"Expiration\":\"" + std::string(in) + "\"}";
    if (auto r = parse_process_output(doc, "fuzz"); !r) {
      PRESIGN_FUZZ_CHECK(r.error().detail.find(kMarker) == std::string::npos);
    }
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::aws_process_one(data, size);
}
#endif
