#pragma once
/// SIGINT and SIGTERM: blocked in every thread and taken by one thread that waits for them
/// (sigwait), so no code runs in a signal handler.
///
/// Outside a `Graceful` scope a signal ends the process at once with 128 + signal (as the
/// default action would; nothing is being written then). Inside one (a `sign` or `ls` run) the
/// first signal sets `requested()` and runs the current cancel hook (e.g. cancelling a listing
/// request); the job then stops at a safe point, cleans up and exits with `exit_code()`. A
/// second signal removes the registered partial file, if any, and exits at once.

#include "presign/core/cancel.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace presign::app::interrupt {

/// Blocks SIGINT/SIGTERM in the calling thread (and so in threads started later), ignores
/// SIGPIPE (a closed pipe is then EPIPE, reported as a write error) and starts the signal
/// thread. Call first in main, before any other thread exists.
void install();

/// How long an interrupted command waits for a listing thread to end before it leaves it
/// running (detached) and exits: a cancelled backoff ends at once, a request on the wire may
/// not end before its timeout.
inline constexpr std::chrono::milliseconds kStopGrace{500};

/// Set by the first signal inside a Graceful scope; the pipeline polls it.
std::atomic<bool> const& flag();
inline bool requested() { return flag().load(std::memory_order_acquire); }
/// The signal received (SIGINT, SIGTERM) or 0.
int signal_number();
/// 128 + the signal received (130 for SIGINT, 143 for SIGTERM).
int exit_code();
/// "SIGINT" / "SIGTERM".
char const* signal_name();

/// While alive, signals are handled gracefully (see the file comment).
class Graceful {
 public:
  Graceful();
  ~Graceful();
  Graceful(Graceful const&) = delete;
  Graceful& operator=(Graceful const&) = delete;
};

/// The cancellation the signal thread requests on the first signal inside a Graceful scope;
/// a job (engine::run_job) and a listing (`presign ls`) take it.
CancelSource& cancel_source();

/// While alive, the first signal calls `hook` (from the signal thread: it must be thread-safe
/// and return quickly). A hook registered while a signal was already taken runs at once.
class CancelHook {
 public:
  explicit CancelHook(std::function<void()> hook) : hook_(cancel_source(), std::move(hook)) {}

 private:
  CancelSource::Hook hook_;
};

/// The file a second signal removes before exiting (a partial output no resume needs); ""
/// for none.
void set_cleanup_file(std::string path);

}  // namespace presign::app::interrupt
