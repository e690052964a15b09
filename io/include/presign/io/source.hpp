#pragma once
/// The seam between "where object names come from" and the signing engine.
///
/// A source yields pages (batches) of object keys, in order, each with a sequence number.
/// The key-file reader implements it now; the bucket listers and the range-parallel lister
/// implement it later, and benchmarks use a synthetic source.

#include "presign/core/error.hpp"
#include "presign/core/object_ref.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace presign::io {

/// One page of objects plus the room its output is built in. Batches are pooled and reused
/// by the engine: every buffer keeps its capacity, so a warm pipeline does not allocate.
struct Batch {
  std::uint64_t seq = 0;          ///< 0, 1, 2, ... in source order
  std::uint64_t first_index = 0;  ///< index (in the whole job) of objects[0]
  std::string data;               ///< bytes the `objects` views point into
  std::vector<ObjectRef> objects;
  /// Input line number (1-based) of each object, filled only by sources that read lines (the
  /// key file; error messages then say "line N"); empty otherwise.
  std::vector<std::uint64_t> lines;
  std::string out;              ///< formatted records, filled by the signing stage
  std::string packed;           ///< `out` as one zstd frame, when the job compresses
  std::uint64_t errors = 0;     ///< objects of this batch that became error records
  std::string error_log;        ///< one line per failed object, for stderr
  std::string source_position;  ///< where the source resumes after this batch (opaque)
  std::int64_t arrived_ns = 0;  ///< steady-clock time the page arrived (latency start)

  void reset() {
    seq = first_index = errors = 0;
    data.clear();
    objects.clear();
    lines.clear();
    out.clear();
    packed.clear();
    error_log.clear();
    source_position.clear();
    arrived_ns = 0;
  }
};

/// A producer of batches. `next` is called from one thread at a time, in order.
class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  /// Clears `batch`, then fills `data` and `objects` with the next page. Returns false when
  /// the source is exhausted (the batch is then empty). An Error ends the job.
  virtual Result<bool> next(Batch& batch) = 0;
  /// Continues after the batch whose `source_position` this is (resume after a crash): the
  /// next `next` returns the batch that followed it. Called once, before any `next`.
  virtual Result<void> seek(std::string const& position) = 0;
  /// Fraction of the input consumed (0..1), or a negative value when the total is unknown.
  [[nodiscard]] virtual double fraction_done() const { return -1; }
  /// Asks a `next` blocked on another thread (e.g. waiting for a listing page or in a retry
  /// backoff) to return soon, with an error; later calls fail too. Thread-safe, noexcept; the
  /// default does nothing (sources that never block long).
  virtual void cancel() noexcept {}
  /// For a process about to exit (an interrupt): cancels, then waits at most `grace` for
  /// background work (a prefetch thread in a request or a backoff) to end. True when nothing
  /// runs any more: the object may be destroyed. False when a request is still on the wire:
  /// the background thread was detached and the object must be leaked, never destroyed
  /// (see `let_go`). The default (no background work) cancels and returns true.
  virtual bool stop(std::chrono::milliseconds grace) noexcept {
    (void)grace;
    cancel();
    return true;
  }
};

/// Ends a source when the process is about to exit: destroys it if its background work
/// stopped within `grace`, and otherwise leaks it, with its thread detached (waiting for a
/// request on the wire would hold up the exit for the request's whole timeout).
inline void let_go(std::unique_ptr<ObjectSource> source, std::chrono::milliseconds grace) noexcept {
  if (source && !source->stop(grace)) (void)source.release();
}

}  // namespace presign::io
