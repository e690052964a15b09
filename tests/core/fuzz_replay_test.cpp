// Replays the seeds and past crash inputs of core's fuzz targets (tests/fuzz/utf8_fuzz.cpp,
// endpoint_fuzz.cpp, http_date_fuzz.cpp, compiled here without their libFuzzer entry point)
// on every build, with any compiler, as io_tests does for the parsers of io.
#include "../fuzz/fuzz_replay.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>

namespace presign::fuzz {
int utf8_one(std::uint8_t const* data, std::size_t size);
int endpoint_one(std::uint8_t const* data, std::size_t size);
int http_date_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

TEST_SUITE("core.fuzz") {
  // tests/fuzz/fuzz_replay.hpp says what the replay checks.
  TEST_CASE("core fuzz corpora and regression inputs replay cleanly") {
    presign::fuzz::replay_fuzz_inputs({{"utf8", presign::fuzz::utf8_one, 18, 0},
                                       {"endpoint", presign::fuzz::endpoint_one, 20, 1},
                                       {"http_date", presign::fuzz::http_date_one, 11, 0}});
  }
}
