#include "interrupt.hpp"

#include <csignal>
#include <cstdio>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace presign::app::interrupt {
namespace {

CancelSource g_cancel;
std::atomic<int> g_signal{0};
std::mutex g_mutex;  // guards the two below
int g_graceful = 0;
std::string g_cleanup;

sigset_t g_handled;  // set once by install(), before the signal thread starts

// SIGINT and SIGTERM, except one the parent left ignored (`cmd &` in a script, nohup): that
// one stays ignored, as it would without us.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int const sig : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaddset(&set, sig);
  }
  return set;
}

void signal_loop() {
  sigset_t const set = g_handled;
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    std::unique_lock lock(g_mutex);
    bool const first = g_signal.load() == 0;
    if (first) g_signal.store(sig);
    if (!first || g_graceful == 0) {
      // A second signal, or nothing to stop gracefully: leave now. The partial output of a
      // job without checkpoint goes with it.
      if (!g_cleanup.empty()) ::unlink(g_cleanup.c_str());
      if (!first) {
        char const msg[] = "presign: interrupted again; stopping at once\n";
        [[maybe_unused]] auto const n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
      }
      ::_exit(128 + g_signal.load());
    }
    g_cancel.request();  // sets the flag the job polls and runs the cancel hooks
  }
}

}  // namespace

void install() {
  g_handled = handled_signals();
  pthread_sigmask(SIG_BLOCK, &g_handled, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::thread(signal_loop).detach();
}

std::atomic<bool> const& flag() { return g_cancel.flag(); }

CancelSource& cancel_source() { return g_cancel; }
int signal_number() { return g_signal.load(); }
int exit_code() { return 128 + (g_signal.load() != 0 ? g_signal.load() : SIGINT); }
char const* signal_name() { return g_signal.load() == SIGTERM ? "SIGTERM" : "SIGINT"; }

Graceful::Graceful() {
  std::lock_guard lock(g_mutex);
  ++g_graceful;
}
Graceful::~Graceful() {
  std::lock_guard lock(g_mutex);
  --g_graceful;
}

void set_cleanup_file(std::string path) {
  std::lock_guard lock(g_mutex);
  g_cleanup = std::move(path);
}

}  // namespace presign::app::interrupt
