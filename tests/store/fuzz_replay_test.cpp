// Replays the seeds and past crash inputs of store's fuzz target (tests/fuzz/api_key_fuzz.cpp,
// compiled here without its libFuzzer entry point) on every build, as core_tests does for
// core's targets.
#include "../fuzz/fuzz_replay.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>

namespace presign::fuzz {
int api_key_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

TEST_SUITE("store.fuzz") {
  // tests/fuzz/fuzz_replay.hpp says what the replay checks.
  TEST_CASE("store fuzz corpora and regression inputs replay cleanly") {
    presign::fuzz::replay_fuzz_inputs({{"api_key", presign::fuzz::api_key_one, 7, 0}});
  }
}
