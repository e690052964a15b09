// The --keys-from reader: line splitting rules, batching, chunk boundaries, bounds, errors.
#include "presign/io/key_file_source.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace presign;
using presign::test::TempDir;
using namespace presign::io;
namespace fs = std::filesystem;

namespace {


struct Read {
  std::vector<std::string> keys;
  std::vector<std::size_t> batch_sizes;
};

// Reads the whole source, checking seq / first_index / views on the way.
Read read_all(KeyFileSource& src) {
  Read r;
  Batch b;
  for (std::uint64_t seq = 0;; ++seq) {
    auto more = src.next(b);
    REQUIRE(more.has_value());
    if (!*more) {
      CHECK(b.objects.empty());
      break;
    }
    CHECK(b.seq == seq);
    CHECK(b.first_index == r.keys.size());
    CHECK_FALSE(b.objects.empty());
    CHECK_FALSE(b.source_position.empty());
    r.batch_sizes.push_back(b.objects.size());
    for (auto const& o : b.objects) {
      // Every key views the batch's own data.
      CHECK(o.key.data() >= b.data.data());
      CHECK(o.key.data() + o.key.size() <= b.data.data() + b.data.size());
      CHECK(o.version.empty());
      r.keys.emplace_back(o.key);
    }
  }
  return r;
}

Read read_file(std::string const& path, std::size_t batch_keys, std::size_t read_bytes) {
  auto src = KeyFileSource::open(path, batch_keys, read_bytes);
  REQUIRE(src.has_value());
  return read_all(**src);
}

}  // namespace

TEST_SUITE("io.key_file_source") {
  TEST_CASE("lines split on LF only; CR, spaces and other bytes stay in the key") {
    TempDir dir("presign-keys");
    using namespace std::string_literals;
    std::string const p =
        dir.write("keys", "a\r\n  spaced key  \n\ttab\nnul\0byte\n\xFF\xFE\nlast\r"s);
    auto const r = read_file(p, 4096, 1 << 20);
    CHECK(r.keys == std::vector<std::string>{"a\r", "  spaced key  ", "\ttab",
                                             "nul\0byte"s, "\xFF\xFE", "last\r"});
  }

  TEST_CASE("empty lines are skipped and a last line without a newline is kept") {
    TempDir dir("presign-keys");
    std::string const p = dir.write("keys", "\n\nfirst\n\n\nsecond\n\nthird");
    auto const r = read_file(p, 4096, 1 << 20);
    CHECK(r.keys == std::vector<std::string>{"first", "second", "third"});
    CHECK(read_file(dir.write("empty", ""), 4096, 1 << 20).keys.empty());
    CHECK(read_file(dir.write("blank", "\n\n\n"), 4096, 1 << 20).keys.empty());
    CHECK(read_file(dir.write("one", "x"), 4096, 1 << 20).keys == std::vector<std::string>{"x"});
  }

  TEST_CASE("keys spanning read-chunk boundaries come out whole for every small chunk size") {
    TempDir dir("presign-keys");
    std::vector<std::string> want;
    std::string text;
    for (int i = 0; i < 200; ++i) {
      std::string k = "key/" + std::string(static_cast<std::size_t>(i % 37), 'x') + "/" +
                      std::to_string(i);
      want.push_back(k);
      text += k;
      text += i % 5 == 0 ? "\n\n" : "\n";
    }
    text.pop_back();  // the last line has no newline
    std::string const p = dir.write("keys", text);
    for (std::size_t read_bytes : {1, 2, 3, 7, 16, 64, 1000, 1 << 20}) {
      for (std::size_t batch : {1, 3, 64, 4096}) {
        INFO("read_bytes " << read_bytes << " batch " << batch);
        auto const r = read_file(p, batch, read_bytes);
        CHECK(r.keys == want);
        for (std::size_t n : r.batch_sizes) CHECK(n <= batch);
      }
    }
  }

  TEST_CASE("batches hold batch_keys keys each, the last one the rest") {
    TempDir dir("presign-keys");
    std::string text;
    for (int i = 0; i < 10; ++i) text += 'k' + std::to_string(i) + '\n';
    std::string const p = dir.write("keys", text);
    CHECK(read_file(p, 3, 1 << 20).batch_sizes == std::vector<std::size_t>{3, 3, 3, 1});
    CHECK(read_file(p, 5, 1 << 20).batch_sizes == std::vector<std::size_t>{5, 5});
    CHECK(read_file(p, 100, 1 << 20).batch_sizes == std::vector<std::size_t>{10});
  }

  TEST_CASE("fraction_done reaches 1 at the end of a regular file") {
    TempDir dir("presign-keys");
    std::string const p = dir.write("keys", "a\nb\nc\nd\n");
    auto src = KeyFileSource::open(p, 2, 1 << 20);
    REQUIRE(src.has_value());
    CHECK((*src)->fraction_done() == doctest::Approx(0.0));
    (void)read_all(**src);
    CHECK((*src)->fraction_done() == doctest::Approx(1.0));
  }

  TEST_CASE("a line of exactly 1 MiB is a key; a longer line ends the job with an error") {
    TempDir dir("presign-keys");
    std::string const max_line(KeyFileSource::kMaxLineBytes, 'm');
    // Built with += : "lit" + std::string trips GCC 12's -Wrestrict false positive.
    std::string text = "a\n";
    text += max_line;
    text += "\nb\n";
    auto const ok = read_file(dir.write("max", text), 4096, 64 * 1024);
    REQUIRE(ok.keys.size() == 3);
    CHECK(ok.keys[1] == max_line);

    for (std::size_t read_bytes : {std::size_t{4096}, std::size_t{4} << 20}) {
      for (char const* tail : {"\nafter\n", ""}) {  // terminated, and the unterminated last line
        INFO("read_bytes " << read_bytes << " terminated " << (*tail != 0));
        text = "a\n";
        text += max_line;
        text += 'x';
        text += tail;
        std::string const p = dir.write("long", text);
        auto src = KeyFileSource::open(p, 4096, read_bytes);
        REQUIRE(src.has_value());
        Batch b;
        Result<bool> r = true;
        while (r && *r) r = (*src)->next(b);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().kind == ErrorKind::kIo);
        CHECK(r.error().detail.find("line 2") != std::string::npos);
        CHECK(r.error().detail.find(p) != std::string::npos);
      }
    }
  }

  TEST_CASE("a missing file or a directory is a clear error naming the path") {
    TempDir dir("presign-keys");
    std::string const missing = (dir.path() / "no-such-file").string();
    auto r = KeyFileSource::open(missing);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kIo);
    CHECK(r.error().detail.find(missing) != std::string::npos);
    CHECK(r.error().detail.find("No such file") != std::string::npos);

    r = KeyFileSource::open(dir.path().string());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kIo);
    CHECK(r.error().detail.find(dir.path().string()) != std::string::npos);
    CHECK(r.error().detail.find("directory") != std::string::npos);
  }

  TEST_CASE("every batch's source_position resumes exactly at the following batch") {
    TempDir dir("presign-keys");
    std::string text;
    for (int i = 0; i < 30; ++i) text += 'k' + std::to_string(i) + (i % 4 ? "\n" : "\n\n");
    std::string const p = dir.write("keys", text);
    struct Seen {
      std::uint64_t seq, first_index;
      std::vector<std::string> keys;
      std::string position;
    };
    std::vector<Seen> seen;
    {
      auto src = KeyFileSource::open(p, 4, 5);  // small reads: batches end early, mid-buffer
      REQUIRE(src.has_value());
      Batch b;
      while ((*src)->next(b).value()) {
        Seen s{b.seq, b.first_index, {}, b.source_position};
        for (auto const& o : b.objects) s.keys.emplace_back(o.key);
        seen.push_back(std::move(s));
      }
    }
    REQUIRE(seen.size() > 3);
    for (std::size_t i = 0; i + 1 < seen.size(); ++i) {
      INFO("resume after batch " << i << " at " << seen[i].position);
      auto src = KeyFileSource::open(p, 4, 5);
      REQUIRE(src.has_value());
      REQUIRE((*src)->seek(seen[i].position).has_value());
      Batch b;
      REQUIRE((*src)->next(b).value());
      CHECK(b.seq == seen[i + 1].seq);
      CHECK(b.first_index == seen[i + 1].first_index);
      std::vector<std::string> keys;
      for (auto const& o : b.objects) keys.emplace_back(o.key);
      CHECK(keys == seen[i + 1].keys);
    }
    auto src = KeyFileSource::open(p, 4, 5);
    REQUIRE(src.has_value());
    CHECK_FALSE((*src)->seek("garbage").has_value());
    CHECK_FALSE((*src)->seek("offset=999999,line=1,index=1,seq=1").has_value());  // past the end
  }
}
