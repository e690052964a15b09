// libFuzzer target: Get User Delegation Key answers (auth::azure::parse_user_delegation_key
// over io::read_xml_fields). For any input:
//  - nothing crashes;
//  - an accepted key has every field non-empty, a Value that decodes as base64 and a
//    SignedExpiry that parses as RFC 3339;
//  - a refusal is kProtocol, and its message never quotes the Value (the input is also tried
//    inside a well-formed answer whose Value is a marker).
// Run by scripts/fuzz.sh; seeds in corpus/azure_udk/, past crashes in regressions/azure_udk/.

#include "fuzz_check.hpp"
#include "presign/auth/azure_delegation.hpp"
#include "presign/core/base64.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int azure_udk_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  using auth::azure::parse_user_delegation_key;
  if (auto k = parse_user_delegation_key(in)) {
    PRESIGN_FUZZ_CHECK(!k->signed_oid.empty() && !k->signed_tid.empty() &&
                       !k->signed_start.empty() && !k->signed_expiry.empty() &&
                       !k->signed_service.empty() && !k->signed_version.empty());
    std::string decoded;
    PRESIGN_FUZZ_CHECK(base64_decode(k->value, decoded) && !decoded.empty());
    PRESIGN_FUZZ_CHECK(auth::azure::delegation_key_expiry(*k).has_value());
  } else {
    PRESIGN_FUZZ_CHECK(k.error().kind == ErrorKind::kProtocol);
  }
  // "WnE5eFNFQ1JFVA==" is base64 of "Zq9xSECRET": a Value that decodes, as a marker.
  constexpr std::string_view kMarker = "WnE5eFNFQ1JFVA==";
  std::string const doc =
      "<UserDelegationKey><SignedOid>o</SignedOid><SignedTid>" + std::string(in) +
      "</SignedTid><SignedStart>2024-01-01T00:00:00Z</SignedStart><SignedExpiry>"
      "2024-01-02T00:00:00Z</SignedExpiry><SignedService>b</SignedService><SignedVersion>v"
      "</SignedVersion><Value>" +
      std::string(kMarker) + "</Value></UserDelegationKey>";
  bool const has_marker = in.find(kMarker) != std::string_view::npos;
  if (auto k = parse_user_delegation_key(doc); !k && !has_marker) {
    PRESIGN_FUZZ_CHECK(k.error().detail.find(kMarker) == std::string::npos);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::azure_udk_one(data, size);
}
#endif
