#pragma once
// The replay of fuzz inputs in a doctest binary (io_tests, core_tests): every seed and every
// input that once crashed a target goes through the target's own entry point, so a crash found
// once stays fixed (CLI11's fuzzFail/ idea). Each target's folders must hold exactly the files
// counted (dot files aside): a folder lost, emptied or renamed fails the replay instead of
// replaying less. Adding a seed or a regression input means updating its count.
// Include from a test file only (it uses doctest's macros); needs PRESIGN_SOURCE_DIR.

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

namespace presign::fuzz {

struct ReplayTarget {
  char const* name;
  int (*one)(std::uint8_t const*, std::size_t);
  std::size_t corpus;       // files in tests/fuzz/corpus/<name>
  std::size_t regressions;  // files in tests/fuzz/regressions/<name>
};

inline void replay_fuzz_inputs(std::initializer_list<ReplayTarget> targets) {
  namespace fs = std::filesystem;
  fs::path const root = fs::path(PRESIGN_SOURCE_DIR) / "tests" / "fuzz";
  for (ReplayTarget const& t : targets) {
    for (char const* kind : {"corpus", "regressions"}) {
      fs::path const dir = root / kind / t.name;
      CAPTURE(dir.string());
      REQUIRE(fs::is_directory(dir));
      std::size_t replayed = 0;
      for (auto const& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) {
          continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::string const bytes{std::istreambuf_iterator<char>(in), {}};
        CAPTURE(entry.path().string());
        CHECK(t.one(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size()) == 0);
        ++replayed;
      }
      bool const is_corpus = std::string_view(kind) == "corpus";
      CHECK(replayed == (is_corpus ? t.corpus : t.regressions));
      if (is_corpus) CHECK(replayed > 0);
    }
  }
}

}  // namespace presign::fuzz
