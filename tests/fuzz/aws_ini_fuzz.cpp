// libFuzzer target: the AWS shared config/credentials parser (auth::aws::parse_ini_strict and
// the lenient parse_ini). For any input:
//  - neither crashes;
//  - the strict parser either accepts or names the file and a line number;
//  - every section the strict parser accepts, the lenient one has too (strictness only adds
//    errors and continuation lines, never loses a section).
// Run by scripts/fuzz.sh; seeds in corpus/aws_ini/, past crashes in regressions/aws_ini/.

#include "fuzz_check.hpp"
#include "presign/auth/aws_sources.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presign::fuzz {

int aws_ini_one(std::uint8_t const* data, std::size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  auto const lenient = auth::aws::parse_ini(in);
  auto const strict = auth::aws::parse_ini_strict(in, "fuzz.ini");
  if (strict) {
    for (auto const& [name, kv] : *strict) PRESIGN_FUZZ_CHECK(lenient.contains(name));
  } else {
    PRESIGN_FUZZ_CHECK(strict.error().kind == ErrorKind::kConfig);
    PRESIGN_FUZZ_CHECK(strict.error().detail.starts_with("fuzz.ini line "));
  }
  return 0;
}

}  // namespace presign::fuzz

#ifndef PRESIGN_FUZZ_NO_MAIN
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  return presign::fuzz::aws_ini_one(data, size);
}
#endif
