// libFuzzer target: the API key parser (store/api_key_format.hpp). For any input, checks:
//  - an accepted key is exactly `psk_` + 38 base62 characters whose last 6 are the CRC32 of
//    the 32 before them;
//  - a refusal for the checksum is a well-formed key whose checksum differs; every other
//    refusal is malformed (prefix, length or alphabet);
//  - the input with its checksum recomputed is accepted when its form is right, and changing
//    any one character of an accepted key makes it refused.
// Run by scripts/fuzz.sh; seeds in corpus/api_key/, past crashes in regressions/api_key/.

#include "fuzz_check.hpp"
#include "presign/store/api_key_format.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {
namespace {

bool base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool well_formed(std::string_view k) {
  return k.size() == store::kApiKeyLength && k.starts_with(store::kApiKeyPrefix) &&
         std::all_of(k.begin() + 4, k.end(), base62);
}

}  // namespace

int api_key_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  auto const verdict = store::check_api_key_format(in);
  bool const formed = well_formed(in);
  if (verdict == store::KeyFormat::kMalformed) PRESIGN_FUZZ_CHECK(!formed);
  if (verdict != store::KeyFormat::kMalformed) PRESIGN_FUZZ_CHECK(formed);
  if (formed) {
    bool const sum_ok = in.substr(36) == store::base62_checksum(store::crc32(in.substr(4, 32)));
    PRESIGN_FUZZ_CHECK(sum_ok == (verdict == store::KeyFormat::kOk));
    std::string fixed(in.substr(0, 36));
    fixed += store::base62_checksum(store::crc32(in.substr(4, 32)));
    PRESIGN_FUZZ_CHECK(store::check_api_key_format(fixed) == store::KeyFormat::kOk);
    // One character changed (position and replacement from the input itself).
    std::size_t const pos = 4 + (static_cast<unsigned char>(in[5]) % 38);
    std::string typo = fixed;
    typo[pos] = typo[pos] == '0' ? '1' : '0';
    PRESIGN_FUZZ_CHECK(store::check_api_key_format(typo) != store::KeyFormat::kOk);
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::api_key_one(data, size);
}
#endif
