#pragma once
/// A cancellation request shared by a job and whoever may stop it: the program's signal
/// thread today, a server shutting down or a client going away tomorrow.
///
/// `request()` sets the flag (which the pipeline polls between batches) and calls every
/// registered hook once, from the requesting thread: a hook cuts a wait short (a listing's
/// backoff, a request on the wire), so it must be thread-safe and return quickly. A hook
/// registered after the request runs at once, in the registering thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace presign {

class CancelSource {
 public:
  CancelSource() = default;
  CancelSource(CancelSource const&) = delete;
  CancelSource& operator=(CancelSource const&) = delete;

  /// Requests cancellation: the flag is set and each hook runs once. Later calls do nothing.
  void request();
  [[nodiscard]] bool requested() const noexcept { return flag_.load(std::memory_order_acquire); }
  /// The flag itself, for code that polls an atomic (engine::PipelineOptions::cancel).
  [[nodiscard]] std::atomic<bool> const& flag() const noexcept { return flag_; }

  /// While alive, a request calls `fn` (see the file comment). Destroying the hook waits for
  /// a call of `fn` in progress, so whatever `fn` uses may go right after it.
  class Hook {
   public:
    Hook(CancelSource& source, std::function<void()> fn);
    ~Hook();
    Hook(Hook const&) = delete;
    Hook& operator=(Hook const&) = delete;

   private:
    CancelSource& source_;
    std::uint64_t id_;
  };

 private:
  std::atomic<bool> flag_{false};
  std::mutex mutex_;  // guards hooks_ and next_id_; held while hooks run
  std::vector<std::pair<std::uint64_t, std::function<void()>>> hooks_;
  std::uint64_t next_id_ = 0;
};

}  // namespace presign
