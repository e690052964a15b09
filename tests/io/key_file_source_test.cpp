// The --keys-from reader: line splitting rules, batching, chunk boundaries, bounds, errors.
#include "presign/io/key_file_source.hpp"
#include "presign/io/key_hash_set.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
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

// Reads the whole file and returns its warnings (keys and line numbers into `keys`/`lines`).
std::vector<std::string> warnings_of(std::string const& path,
                                     std::vector<std::string>* keys = nullptr,
                                     std::vector<std::uint64_t>* lines = nullptr,
                                     bool strip_cr = false, std::size_t batch_keys = 4096,
                                     std::size_t read_bytes = 1 << 20) {
  auto src = KeyFileSource::open(path, batch_keys, read_bytes);
  REQUIRE(src.has_value());
  (*src)->set_strip_cr(strip_cr);
  Batch b;
  while ((*src)->next(b).value()) {
    REQUIRE(b.lines.size() == b.objects.size());
    for (std::size_t i = 0; i < b.objects.size(); ++i) {
      if (keys != nullptr) keys->emplace_back(b.objects[i].key);
      if (lines != nullptr) lines->push_back(b.lines[i]);
    }
  }
  return (*src)->warnings();
}

}  // namespace

TEST_SUITE("io.key_file_source") {
  TEST_CASE("lines split on LF only; CR, spaces and other bytes stay in the key") {
    TempDir dir("presign-keys");
    using namespace std::string_literals;
    std::string const p =
        dir.write("keys", "a\r\n  spaced key  \n\ttab\nnul\0byte\n\xFF\xFE\nlast\r"s);
    auto const r = read_file(p, 4096, 1 << 20);
    CHECK(r.keys == std::vector<std::string>{"a\r", "  spaced key  ", "\ttab", "nul\0byte"s,
                                             "\xFF\xFE", "last\r"});
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
      std::string k =
          "key/" + std::string(static_cast<std::size_t>(i % 37), 'x') + "/" + std::to_string(i);
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

  TEST_CASE("each key carries its input line number and empty lines are counted") {
    TempDir dir("presign-keys");
    std::string const p = dir.write("keys", "\n\na\nb\n\n\nc\n\nd");
    for (std::size_t read_bytes : {std::size_t{1}, std::size_t{3}, std::size_t{1} << 20}) {
      for (std::size_t batch : {std::size_t{1}, std::size_t{2}, std::size_t{4096}}) {
        INFO("read_bytes " << read_bytes << " batch " << batch);
        std::vector<std::string> keys;
        std::vector<std::uint64_t> lines;
        CHECK(warnings_of(p, &keys, &lines, false, batch, read_bytes).empty());
        CHECK(keys == std::vector<std::string>{"a", "b", "c", "d"});
        CHECK(lines == std::vector<std::uint64_t>{3, 4, 7, 9});
      }
    }
    // After a resume the numbering continues from the checkpointed line.
    auto src = KeyFileSource::open(p, 2, 1 << 20);
    REQUIRE(src.has_value());
    Batch b;
    REQUIRE((*src)->next(b).value());
    std::string const position = b.source_position;
    auto again = KeyFileSource::open(p, 2, 1 << 20);
    REQUIRE(again.has_value());
    REQUIRE((*again)->seek(position).has_value());
    REQUIRE((*again)->next(b).value());
    CHECK(b.lines == std::vector<std::uint64_t>{7, 9});
  }

  TEST_CASE("a clean key file gives no warnings") {
    TempDir dir("presign-keys");
    CHECK(warnings_of(dir.write("keys", "a\nb/c d\n2024 report.pdf\ns3-notes/x\n")).empty());
  }

  TEST_CASE("CRLF lines are signed as written and reported once with their count and first line") {
    TempDir dir("presign-keys");
    std::vector<std::string> keys;
    auto const w = warnings_of(dir.write("keys", "a\nb\r\nc\r\n\r\nd\r"), &keys);
    CHECK(keys == std::vector<std::string>{"a", "b\r", "c\r", "\r", "d\r"});
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("4 lines end in a carriage return") != std::string::npos);
    CHECK(w[0].find("first at line 2") != std::string::npos);
    CHECK(w[0].find("--strip-cr") != std::string::npos);
  }

  TEST_CASE("strip_cr removes one trailing CR per line and the CRLF warning goes away") {
    TempDir dir("presign-keys");
    std::vector<std::string> keys;
    std::vector<std::uint64_t> lines;
    auto const w = warnings_of(dir.write("keys", "a\r\nb\r\r\n\r\nc\nd\r"), &keys, &lines, true);
    CHECK(keys == std::vector<std::string>{"a", "b\r", "c", "d"});  // "\r" alone is an empty line
    CHECK(lines == std::vector<std::uint64_t>{1, 2, 4, 5});
    REQUIRE(w.size() == 1);  // "b\r\r" still ends in \r once stripped
    CHECK(w[0].find("1 line ends in a carriage return") != std::string::npos);
    CHECK(w[0].find("first at line 2") != std::string::npos);
  }

  TEST_CASE("URI lines are signed as written and reported once with the first example") {
    TempDir dir("presign-keys");
    std::vector<std::string> keys;
    auto const w =
        warnings_of(dir.write("keys", "ok\ns3://b/k1\ngs://b/k2\nfine\naz://acct/c/k3\n"), &keys);
    CHECK(keys ==
          std::vector<std::string>{"ok", "s3://b/k1", "gs://b/k2", "fine", "az://acct/c/k3"});
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("3 lines look like a URI") != std::string::npos);
    CHECK(w[0].find("first at line 2 's3://b/k1'") != std::string::npos);
  }

  TEST_CASE("aws s3 ls output lines are signed as written and reported once") {
    TempDir dir("presign-keys");
    std::vector<std::string> keys;
    std::string const text =
        "                           PRE photos/\n"
        "2024-01-01 12:00:00       1234 report.pdf\n"
        "2023-12-31 23:59:59          0 empty.txt\n";
    auto const w = warnings_of(dir.write("keys", text), &keys);
    CHECK(keys.size() == 3);
    CHECK(keys[1] == "2024-01-01 12:00:00       1234 report.pdf");
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("3 lines look like `aws s3 ls` output") != std::string::npos);
    CHECK(w[0].find("first at line 1") != std::string::npos);
  }

  TEST_CASE("an empty file and a file of empty lines are reported as holding no keys") {
    TempDir dir("presign-keys");
    auto w = warnings_of(dir.write("empty", ""));
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("is empty") != std::string::npos);
    w = warnings_of(dir.write("blank", "\n\n\n"));
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("only 3 empty lines") != std::string::npos);
  }

  TEST_CASE("repeated keys are reported once with the count and both lines of the first repeat") {
    TempDir dir("presign-keys");
    std::string text;
    for (int i = 0; i < 5000; ++i) text += "key/" + std::to_string(i) + "\n";
    text += "\nkey/17\nkey/4999\nkey/17\n";  // lines 5002, 5003, 5004
    std::string const p = dir.write("keys", text);
    for (std::size_t batch : {std::size_t{7}, std::size_t{4096}}) {
      INFO("batch " << batch);
      std::vector<std::string> keys;
      auto const w = warnings_of(p, &keys, nullptr, false, batch, 100);
      CHECK(keys.size() == 5003);  // repeats are still signed
      REQUIRE(w.size() == 1);
      CHECK(w[0].find("3 lines repeat an earlier key") != std::string::npos);
      CHECK(w[0].find("first at line 5002 'key/17' (also on line 18)") != std::string::npos);
    }
  }

  TEST_CASE("repeats are found across CRLF stripping and several kinds are reported together") {
    TempDir dir("presign-keys");
    auto const w = warnings_of(dir.write("keys", "s3://b/a\r\nx\r\nx\n"), nullptr, nullptr, true);
    REQUIRE(w.size() == 2);
    CHECK(w[0].find("1 line looks like a URI") != std::string::npos);
    CHECK(w[1].find("1 line repeats an earlier key, the first at line 3 'x' (also on line 2)") !=
          std::string::npos);
  }
}

TEST_SUITE("io.key_hash_set") {
  TEST_CASE("a million distinct keys are all new and every second insertion is a repeat") {
    KeyHashSet set;
    std::string key;
    for (int pass = 0; pass < 2; ++pass) {
      std::size_t repeats = 0;
      for (int i = 0; i < 1000000; ++i) {
        key = "k/" + std::to_string(i);
        repeats += set.insert(hash_key(key)) ? 1 : 0;
      }
      CHECK(repeats == (pass == 0 ? 0U : 1000000U));
      CHECK(set.size() == 1000000U);
    }
  }

  TEST_CASE("hashes sharing a home slot stay apart and are found again after the table grows") {
    KeyHashSet set;
    // 200 hashes with one lo (one home slot at every size) and different low bytes of hi.
    for (std::uint64_t j = 0; j < 200; ++j) CHECK_FALSE(set.insert(KeyHash{0x1234, j}));
    // Enough others to make the table grow several times (lo recovered from slot positions).
    std::uint64_t x = 42;
    auto next = [&x] {
      x += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
      return z ^ (z >> 31);
    };
    std::vector<KeyHash> others;
    for (int i = 0; i < 300000; ++i) others.push_back(KeyHash{next(), next()});
    for (auto const& h : others) CHECK_FALSE(set.insert(h));
    for (std::uint64_t j = 0; j < 200; ++j) CHECK(set.insert(KeyHash{0x1234, j}));
    std::size_t found = 0;
    for (auto const& h : others) found += set.insert(h) ? 1 : 0;
    CHECK(found == others.size());
    CHECK(set.size() == 300200U);
    CHECK_FALSE(set.full());
    CHECK_FALSE(set.insert(KeyHash{0x1234, 200}));           // another low byte of hi: new
    CHECK(set.insert(KeyHash{0x1234, 0x100}));               // hi differs above its low byte only:
    CHECK(set.insert(KeyHash{0x1234, 0xff00000000000001}));  // the 72 bits kept are equal
  }

  TEST_CASE("keys differing in one byte or in length hash differently") {
    std::vector<std::string> keys = {"",   "a",        "b",        "ab",
                                     "ba", "abcdefgh", "abcdefgi", "abcdefgh\0"};
    keys[7].push_back('\0');
    keys.push_back(std::string(8, '\0'));
    keys.push_back(std::string(9, '\0'));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      for (std::size_t j = i + 1; j < keys.size(); ++j) {
        INFO(i << " vs " << j);
        KeyHash const a = hash_key(keys[i]), b = hash_key(keys[j]);
        CHECK(a.lo != b.lo);
        CHECK(a.hi != b.hi);
      }
    }
  }
}
