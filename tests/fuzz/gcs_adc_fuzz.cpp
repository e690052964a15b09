// libFuzzer target: ADC user credentials as the user gives them (auth/gcs_key_file.hpp:
// parse_authorized_user and credentials_type). For any input:
//  - neither crashes;
//  - accepted credentials have a non-empty client_id, client_secret, refresh_token and
//    token_uri, and say kAuthorizedUser;
//  - refusals are kConfig, and never quote the secret or the refresh token of an input that
//    carries the markers below.
// Run by scripts/fuzz.sh; seeds in corpus/gcs_adc/, past crashes in regressions/gcs_adc/.

#include "fuzz_check.hpp"
#include "presign/auth/gcs_key_file.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int gcs_adc_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  (void)auth::gcs::credentials_type(in);
  if (auto k = auth::gcs::parse_authorized_user(in, "adc.json")) {
    PRESIGN_FUZZ_CHECK(k->source == auth::GcsKeyless::TokenSource::kAuthorizedUser);
    PRESIGN_FUZZ_CHECK(!k->client_id.empty() && !k->client_secret.empty());
    PRESIGN_FUZZ_CHECK(!k->refresh_token.empty() && !k->token_uri.empty());
  } else {
    PRESIGN_FUZZ_CHECK(k.error().kind == ErrorKind::kConfig);
    PRESIGN_FUZZ_CHECK(k.error().detail.find("Zq9xSECRET") == std::string::npos);
    PRESIGN_FUZZ_CHECK(k.error().detail.find("Zq9xREFRESH") == std::string::npos);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::gcs_adc_one(data, size);
}
#endif
