#pragma once
// Starts tests/support/fake_aws_creds_server.py (STS, SSO portal, IMDSv2, container endpoint)
// on 127.0.0.1 for one test and stops it (SIGTERM to the pid it started) at scope exit.
#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace presign::test {

class FakeAwsCredsServer {
 public:
  FakeAwsCredsServer() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string script =
        std::string(PRESIGN_SOURCE_DIR) + "/tests/support/fake_aws_creds_server.py";
    char py[] = "/usr/bin/python3";
    char* argv[] = {py, script.data(), nullptr};
    int const rc = ::posix_spawn(&pid_, py, &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    REQUIRE(rc == 0);
    // "PORT <n>\n"
    std::string line;
    char c = 0;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    REQUIRE_MESSAGE(line.starts_with("PORT "), "fake AWS server did not start: " << line);
    url_ = "http://127.0.0.1:" + line.substr(5);
  }
  ~FakeAwsCredsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
  FakeAwsCredsServer(FakeAwsCredsServer const&) = delete;
  FakeAwsCredsServer& operator=(FakeAwsCredsServer const&) = delete;

  /// `http://127.0.0.1:PORT`, no trailing slash.
  [[nodiscard]] std::string const& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace presign::test
