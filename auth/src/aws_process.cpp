// credential_process: the command of a profile, run without a shell (botocore splits it with
// shlex and calls Popen with a list), its standard output parsed as Version 1 JSON
// (parse_process_output in aws_parse.cpp).
#include "presign/auth/aws_sources.hpp"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX, for posix_spawnp

namespace presign::auth::aws {
namespace {

// A helper's answer is a few hundred bytes; anything past 1 MiB is not credentials.
constexpr std::size_t kMaxOutput = 1U << 20;

}  // namespace

Result<AwsKeys> run_credential_process(std::string const& command, std::string const& where) {
  std::string const what = "credential_process of " + where;
  auto argv_words = shell_split(command);
  if (!argv_words) {
    return make_error(ErrorKind::kConfig, what + ": unbalanced quotes or a trailing backslash");
  }
  if (argv_words->empty()) return make_error(ErrorKind::kConfig, what + " is empty");
  std::vector<char*> argv;
  for (auto& w : *argv_words) argv.push_back(w.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorKind::kIo, what + ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // stdout into the pipe; stderr stays ours, so the helper's own messages reach the user
  // (the AWS SDK for Go does the same) and never enter an error value here.
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  pid_t pid = 0;
  int const rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return make_error(ErrorKind::kConfig,
                      what + ": cannot run '" + (*argv_words)[0] + "': " + std::strerror(rc));
  }
  std::string out;
  bool too_long = false;
  char buf[4096];
  for (;;) {
    ssize_t const n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() + static_cast<std::size_t>(n) > kMaxOutput) {
      too_long = true;
      continue;  // drain, so the helper is not stuck on a full pipe
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf, sizeof buf);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } const wipe{out};
  if (WIFSIGNALED(status)) {
    return make_error(ErrorKind::kConfig, what + ": '" + (*argv_words)[0] +
                                              "' was killed by signal " +
                                              std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return make_error(ErrorKind::kConfig, what + ": '" + (*argv_words)[0] +
                                              "' exited with status " +
                                              std::to_string(WEXITSTATUS(status)) +
                                              " (its messages, if any, are above)");
  }
  if (too_long) return make_error(ErrorKind::kConfig, what + ": more than 1 MiB of output");
  return parse_process_output(out, where);
}

}  // namespace presign::auth::aws
