// Checkpoint files: round trip of every field, fallback to the older slot when the newer one
// is torn, refusal of a file with no valid slot, one writer per checkpoint, and no file under
// the checkpoint's name before its first durable record.
#include "presign/engine/checkpoint.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <unistd.h>

using namespace presign;
using presign::test::TempDir;
using namespace presign::engine;
namespace fs = std::filesystem;

namespace {

CheckpointState sample_state() {
  CheckpointState s;
  s.fingerprint = std::string(64, 'a');
  s.signing_time = 1700000000;
  s.part_path = "/tmp/dir with space/.out.ndjson.presign-part";
  s.output_bytes = 123456789012ULL;
  s.next_seq = 42;
  s.objects = 420000;
  s.errors = 3;
  s.any_record = true;
  s.source_position = std::string("token\0with\nbytes=and more", 25);
  return s;
}

}  // namespace

TEST_SUITE("engine.checkpoint") {
  TEST_CASE("every field survives a write and a load") {
    TempDir dir("presign-ck");
    std::string const path = dir.file("job.ck");
    CheckpointState s = sample_state();
    {
      auto w = CheckpointWriter::open(path);
      REQUIRE(w.has_value());
      REQUIRE(w->write(s).has_value());
      s.objects += 1;
      s.complete = true;
      REQUIRE(w->write(s).has_value());
    }
    auto loaded = load_checkpoint(path);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CheckpointState const& l = **loaded;
    CHECK(l.generation == 2);
    CHECK(l.fingerprint == s.fingerprint);
    CHECK(l.signing_time == s.signing_time);
    CHECK(l.part_path == s.part_path);
    CHECK(l.output_bytes == s.output_bytes);
    CHECK(l.next_seq == s.next_seq);
    CHECK(l.objects == 420001);
    CHECK(l.errors == s.errors);
    CHECK(l.any_record);
    CHECK(l.source_position == s.source_position);
    CHECK(l.complete);
  }

  TEST_CASE("a torn newest slot falls back to the older record") {
    TempDir dir("presign-ck");
    std::string const path = dir.file("job.ck");
    CheckpointState s = sample_state();
    {
      auto w = CheckpointWriter::open(path);
      REQUIRE(w.has_value());
      REQUIRE(w->write(s).has_value());  // generation 1: slot 1
      s.objects = 999;
      REQUIRE(w->write(s).has_value());  // generation 2: slot 0
    }
    {  // Tear slot 0 in the middle, as a crash during its pwrite could.
      int fd = ::open(path.c_str(), O_WRONLY);
      REQUIRE(fd >= 0);
      REQUIRE(::pwrite(fd, "XXXX", 4, 100) == 4);
      ::close(fd);
    }
    auto loaded = load_checkpoint(path);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->generation == 1);
    CHECK((*loaded)->objects == 420000);
    // The next writer continues after the newest valid generation and overwrites the torn slot.
    auto w = CheckpointWriter::open(path);
    REQUIRE(w.has_value());
    REQUIRE(w->write(s).has_value());
    CHECK(s.generation == 2);
  }

  TEST_CASE("a file with no valid record is refused with its name and never guessed at") {
    TempDir dir("presign-ck");
    std::string const path = dir.file("garbage.ck");
    std::ofstream(path) << "not a checkpoint at all\n";
    auto loaded = load_checkpoint(path);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().detail.find(path) != std::string::npos);
    CHECK(loaded.error().detail.find("no valid record") != std::string::npos);
    auto none = load_checkpoint(dir.file("absent.ck"));
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
  }

  TEST_CASE("a second writer of the same checkpoint is refused while the first one lives") {
    TempDir dir("presign-ck");
    std::string const path = dir.file("job.ck");
    CheckpointState s = sample_state();
    auto first = CheckpointWriter::open(path);
    REQUIRE(first.has_value());
    // Before the first record (the file is still being built) and after it.
    auto early = CheckpointWriter::open(path);
    REQUIRE_FALSE(early.has_value());
    CHECK(early.error().kind == ErrorKind::kUsage);
    CHECK(early.error().detail.find("another presign process") != std::string::npos);
    REQUIRE(first->write(s).has_value());
    auto late = CheckpointWriter::open(path);
    REQUIRE_FALSE(late.has_value());
    CHECK(late.error().kind == ErrorKind::kUsage);
  }

  TEST_CASE("a new checkpoint appears under its name only once its first record is durable") {
    TempDir dir("presign-ck");
    std::string const path = dir.file("job.ck");
    {
      auto w = CheckpointWriter::open(path);
      REQUIRE(w.has_value());
      CHECK_FALSE(fs::exists(path));  // a kill now leaves no checkpoint: the rerun starts fresh
      CHECK(fs::exists(checkpoint_temp_path(path)));
    }
    // A writer that never wrote leaves nothing behind.
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(checkpoint_temp_path(path)));
    // A temporary file left by a killed process is reused, and the first record publishes it.
    std::ofstream(checkpoint_temp_path(path)) << "half-written by a killed process";
    CheckpointState s = sample_state();
    auto w = CheckpointWriter::open(path);
    REQUIRE(w.has_value());
    REQUIRE(w->write(s).has_value());
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(checkpoint_temp_path(path)));
    auto loaded = load_checkpoint(path);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->objects == s.objects);
    REQUIRE(w->remove().has_value());
    CHECK_FALSE(fs::exists(path));
  }

  TEST_CASE("a record too large for a slot is refused instead of truncated") {
    TempDir dir("presign-ck");
    std::string const path = dir.file("job.ck");
    CheckpointState s = sample_state();
    s.source_position.assign(kCheckpointSlotBytes, 'p');
    auto w = CheckpointWriter::open(path);
    REQUIRE(w.has_value());
    auto r = w->write(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("too large") != std::string::npos);
  }
}
