// Output sinks: atomic publication with mode 0600, cleanup without commit, refused paths,
// and write errors (ENOSPC through /dev/full).
#include "presign/io/output_file.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace presign;
using presign::test::TempDir;
using namespace presign::io;
namespace fs = std::filesystem;

namespace {

std::string slurp(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned mode_of(std::string const& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the umask for one scope (the sink's mode must not depend on it).
class Umask {
 public:
  explicit Umask(mode_t m) : old_(::umask(m)) {}
  ~Umask() { ::umask(old_); }
  Umask(Umask const&) = delete;
  Umask& operator=(Umask const&) = delete;

 private:
  mode_t old_;
};

}  // namespace

TEST_SUITE("io.output_file") {
  TEST_CASE("the atomic sink publishes the file with mode 0600 only on commit") {
    for (mode_t um : {mode_t{0}, mode_t{022}, mode_t{077}}) {
      INFO("umask " << um);
      Umask const guard(um);
      TempDir dir("presign-out");
      std::string const target = (dir.path() / "urls.ndjson").string();
      auto sink = make_atomic_file_sink(target);
      REQUIRE(sink.has_value());
      CHECK((*sink)->name() == target);
      std::string const part = (*sink)->part_path();
      CHECK(fs::path(part).parent_path() == dir.path());  // same directory: rename stays local
      CHECK(part.ends_with(".part"));
      CHECK(mode_of(part) == 0600);
      REQUIRE((*sink)->write("hello ").has_value());
      REQUIRE((*sink)->write("world\n").has_value());
      REQUIRE((*sink)->sync().has_value());
      CHECK_FALSE(fs::exists(target));
      REQUIRE((*sink)->commit().has_value());
      CHECK(slurp(target) == "hello world\n");
      CHECK(mode_of(target) == 0600);
      CHECK_FALSE(fs::exists(part));
      sink->reset();  // destroying a committed sink removes nothing
      CHECK(fs::exists(target));
      CHECK(dir.entries() == std::vector<std::string>{"urls.ndjson"});
    }
  }

  TEST_CASE("an atomic sink destroyed without commit leaves neither the file nor a .part") {
    TempDir dir("presign-out");
    std::string const target = (dir.path() / "out.csv").string();
    {
      auto sink = make_atomic_file_sink(target);
      REQUIRE(sink.has_value());
      REQUIRE((*sink)->write(std::string(100000, 'x')).has_value());
      CHECK(fs::exists((*sink)->part_path()));
    }
    CHECK_FALSE(fs::exists(target));
    CHECK(dir.entries().empty());
  }

  TEST_CASE("an existing file keeps its old content until commit replaces it") {
    TempDir dir("presign-out");
    std::string const target = (dir.path() / "out.txt").string();
    { std::ofstream(target) << "old\n"; }
    ::chmod(target.c_str(), 0644);
    {
      auto sink = make_atomic_file_sink(target);
      REQUIRE(sink.has_value());
      REQUIRE((*sink)->write("new\n").has_value());
    }
    CHECK(slurp(target) == "old\n");  // abandoned: the old file is untouched
    auto sink = make_atomic_file_sink(target);
    REQUIRE(sink.has_value());
    REQUIRE((*sink)->write("new\n").has_value());
    CHECK(slurp(target) == "old\n");
    REQUIRE((*sink)->commit().has_value());
    CHECK(slurp(target) == "new\n");
    CHECK(mode_of(target) == 0600);
  }

  TEST_CASE("a relative output path is published in the current directory") {
    TempDir dir("presign-out");
    auto const cwd = fs::current_path();
    fs::current_path(dir.path());
    {
      auto sink = make_atomic_file_sink("rel.txt");
      REQUIRE(sink.has_value());
      REQUIRE((*sink)->write("r").has_value());
      REQUIRE((*sink)->commit().has_value());
    }
    fs::current_path(cwd);
    CHECK(slurp(dir.path() / "rel.txt") == "r");
  }

  TEST_CASE("output to a directory path is refused") {
    TempDir dir("presign-out");
    for (std::string const& p : {dir.path().string(), dir.path().string() + "/", std::string()}) {
      INFO("'" << p << "'");
      auto sink = make_atomic_file_sink(p);
      REQUIRE_FALSE(sink.has_value());
      CHECK(sink.error().kind == ErrorKind::kUsage);
      if (!p.empty()) CHECK(sink.error().detail.find(dir.path().string()) != std::string::npos);
    }
    CHECK(dir.entries().empty());
  }

  TEST_CASE("output into a missing directory is an I/O error naming the path") {
    TempDir dir("presign-out");
    std::string const target = (dir.path() / "missing" / "out.txt").string();
    auto sink = make_atomic_file_sink(target);
    REQUIRE_FALSE(sink.has_value());
    CHECK(sink.error().kind == ErrorKind::kIo);
    CHECK(sink.error().detail.find(target) != std::string::npos);
  }

  TEST_CASE("writing to /dev/full through make_fd_sink reports ENOSPC") {
    int const fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto sink = make_fd_sink(fd, "/dev/full");
    CHECK((*sink).name() == "/dev/full");
    CHECK(sink->part_path().empty());
    auto const r = sink->write("some bytes");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::kIo);
    CHECK(r.error().detail.find("/dev/full") != std::string::npos);
    CHECK(r.error().detail.find(std::strerror(ENOSPC)) != std::string::npos);
    CHECK(sink->write("").has_value());  // nothing to write is not an error
    ::close(fd);
  }

  TEST_CASE("write_all writes everything to a pipe and names the target on EPIPE") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(write_all(fds[1], "abc", "pipe").has_value());
    char buf[4] = {};
    REQUIRE(::read(fds[0], buf, 3) == 3);
    CHECK(std::string(buf) == "abc");
    ::close(fds[0]);
    auto const old = ::signal(SIGPIPE, SIG_IGN);  // get EPIPE instead of dying
    auto const r = write_all(fds[1], "x", "the pipe");
    ::signal(SIGPIPE, old);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("the pipe") != std::string::npos);
    ::close(fds[1]);
  }

  TEST_CASE("a resumable sink keeps its part file without commit and resumes truncated") {
    TempDir dir("presign-out");
    std::string const target = (dir.path() / "out.txt").string();
    std::string const part = resumable_part_path(target);
    CHECK(part == (dir.path() / ".out.txt.presign-part").string());
    {
      auto sink = make_resumable_file_sink(target, part, std::nullopt);
      REQUIRE(sink.has_value());
      REQUIRE((*sink)->write("durable|lost").has_value());
    }
    CHECK(fs::exists(part));
    CHECK(mode_of(part) == 0600);
    CHECK_FALSE(fs::exists(target));
    {
      auto sink = make_resumable_file_sink(target, part, 7);
      REQUIRE(sink.has_value());
      REQUIRE((*sink)->write("+more").has_value());
      REQUIRE((*sink)->commit().has_value());
    }
    CHECK(slurp(target) == "durable+more");
    CHECK_FALSE(fs::exists(part));
    auto too_long = make_resumable_file_sink(target, part, 1);  // the part is gone now
    CHECK_FALSE(too_long.has_value());
  }

  TEST_CASE("finishing a complete job publishes its part file truncated to the recorded length") {
    TempDir dir("presign-out");
    std::string const target = (dir.path() / "out.txt").string();
    std::string const part = resumable_part_path(target);
    {
      auto sink = make_resumable_file_sink(target, part, std::nullopt);
      REQUIRE(sink.has_value());
      REQUIRE((*sink)->write("all of it|junk past the checkpoint").has_value());
    }
    REQUIRE(finish_resumable_output(target, part, 9).has_value());
    CHECK(slurp(target) == "all of it");
    CHECK(mode_of(target) == 0600);
    CHECK_FALSE(fs::exists(part));
    // Killed after the rename: finishing again accepts the published file as it is.
    REQUIRE(finish_resumable_output(target, part, 9).has_value());
    CHECK(slurp(target) == "all of it");
  }

  TEST_CASE(
      "finishing a complete job refuses a published file of another length or no file at all") {
    TempDir dir("presign-out");
    std::string const target = (dir.path() / "out.txt").string();
    std::string const part = resumable_part_path(target);
    auto none = finish_resumable_output(target, part, 5);
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error().detail.find("neither") != std::string::npos);
    std::ofstream(target) << "someone else's file";
    auto other = finish_resumable_output(target, part, 5);
    REQUIRE_FALSE(other.has_value());
    CHECK(other.error().detail.find("not touching it") != std::string::npos);
    CHECK(slurp(target) == "someone else's file");
  }
}
