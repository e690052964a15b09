// Replays the seeds and past crash inputs of core's fuzz targets (tests/fuzz/utf8_fuzz.cpp,
// endpoint_fuzz.cpp, http_date_fuzz.cpp, compiled here without their libFuzzer entry point)
// on every build, with any compiler, as io_tests does for the parsers of io.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace presign::fuzz {
int utf8_one(std::uint8_t const* data, std::size_t size);
int endpoint_one(std::uint8_t const* data, std::size_t size);
int http_date_one(std::uint8_t const* data, std::size_t size);
}  // namespace presign::fuzz

TEST_SUITE("core.fuzz") {
  // Each target's folders must hold exactly the files counted here (dot files aside): a folder
  // lost, emptied or renamed fails the replay instead of replaying less. Adding a seed or a
  // regression input means updating its count.
  TEST_CASE("core fuzz corpora and regression inputs replay cleanly") {
    namespace fs = std::filesystem;
    struct Target {
      char const* name;
      int (*one)(std::uint8_t const*, std::size_t);
      std::size_t corpus;       // files in tests/fuzz/corpus/<name>
      std::size_t regressions;  // files in tests/fuzz/regressions/<name>
    };
    Target const targets[] = {{"utf8", presign::fuzz::utf8_one, 18, 0},
                              {"endpoint", presign::fuzz::endpoint_one, 20, 0},
                              {"http_date", presign::fuzz::http_date_one, 11, 0}};
    fs::path const root = fs::path(PRESIGN_SOURCE_DIR) / "tests" / "fuzz";
    for (Target const& t : targets) {
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
      }
    }
  }
}
