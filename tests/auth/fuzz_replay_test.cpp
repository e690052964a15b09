// Replays the seeds and past crash inputs of auth's fuzz targets (tests/fuzz/aws_ini_fuzz.cpp,
// aws_process_fuzz.cpp, aws_sts_fuzz.cpp, azure_udk_fuzz.cpp, compiled here without their libFuzzer
// entry point) on every build, with any compiler, as io_tests and core_tests do for theirs.
#include "../fuzz/fuzz_replay.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>

namespace presign::fuzz {
int aws_ini_one(std::uint8_t const* data, std::size_t size);
int aws_process_one(std::uint8_t const* data, std::size_t size);
int aws_sts_one(std::uint8_t const* data, std::size_t size);
int gcs_adc_one(std::uint8_t const* data, std::size_t size);
int azure_udk_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

TEST_SUITE("auth.fuzz") {
  // tests/fuzz/fuzz_replay.hpp says what the replay checks.
  TEST_CASE("auth fuzz corpora and regression inputs replay cleanly") {
    presign::fuzz::replay_fuzz_inputs({{"aws_ini", presign::fuzz::aws_ini_one, 5, 0},
                                       {"aws_process", presign::fuzz::aws_process_one, 5, 0},
                                       {"aws_sts", presign::fuzz::aws_sts_one, 4, 1},
                                       {"gcs_adc", presign::fuzz::gcs_adc_one, 4, 0},
                                       {"azure_udk", presign::fuzz::azure_udk_one, 4, 0}});
  }
}
