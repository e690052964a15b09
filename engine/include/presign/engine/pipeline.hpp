#pragma once
/// The batch pipeline: source → parallel signing → lock-free ordered writer.
///
/// Shape: a oneTBB `parallel_pipeline` runs a serial-in-order input filter (pulls pages from
/// the `ObjectSource`) and a parallel filter (signs and formats a whole batch on any worker,
/// then publishes it into an `OrderedRing` by sequence number). One writer thread drains the
/// ring strictly in sequence with large sequential writes, group-committing whatever batches
/// are ready at once. The ring's capacity bounds the batches alive at any moment, so memory is
/// bounded by capacity × batch size whatever the number of objects: the input filter waits
/// for room before it reads another page (back-pressure).
///
/// With a checkpoint writer, each write group is made durable (fdatasync) and then recorded
/// (output length, next batch, source position), so a killed job resumes byte-identically.
#include "presign/core/error.hpp"
#include "presign/core/text.hpp"
#include "presign/engine/checkpoint.hpp"
#include "presign/engine/latency_histogram.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/io/source.hpp"
#include "presign/signers/signer.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace presign::engine {

/// Turns a batch of objects into formatted records. Called concurrently on different batches,
/// each call naming its worker: per-worker state is indexed by it, so no thread-local storage
/// (and no threading library) shows through this header.
class BatchSigner {
 public:
  virtual ~BatchSigner() = default;
  /// Makes room for per-worker state of workers 0..`workers`-1; called before they start
  /// (never concurrently with `sign_batch`), so signing itself allocates nothing.
  virtual void reserve_workers(std::size_t workers) const = 0;
  /// Fills `batch.out` with one record per object (in order), counts failures in
  /// `batch.errors` and describes each in `batch.error_log`. Never throws for bad objects.
  /// `worker` < the count reserved; no two concurrent calls share a worker.
  virtual void sign_batch(io::Batch& batch, std::size_t worker) const = 0;
  /// An error that ends the job: a remote signer that can sign nothing more (its permission
  /// withdrawn). Checked after each batch is signed; that batch and every later one are not
  /// written, and the run fails with this error. Thread-safe. Default: never.
  [[nodiscard]] virtual std::optional<Error> stopped_by() const { return std::nullopt; }
  /// For a single caller (tests, tools): worker 0.
  void sign_batch(io::Batch& batch) const {
    reserve_workers(1);
    sign_batch(batch, 0);
  }
};

/// The `BatchSigner` for any `Signer`: one scratch per worker, records formatted around the
/// URL the signer appends. A `GroupSigner` (S3) signs up to 16 objects in lockstep
/// (`sign_group`) and then each record is written around `append_group_url`; a
/// `RemoteSigner` (GCS keyless) signs the whole batch at once (`sign_all`); any other signer
/// is called once per object. Both ways give the same bytes, error records in place.
template <signers::Signer S>
class FormattingBatchSigner final : public BatchSigner {
 public:
  FormattingBatchSigner(S const& signer, io::RecordFormatter const& format)
      : signer_(signer), format_(format) {}

  void reserve_workers(std::size_t workers) const override {
    // Each scratch on its own allocation: workers never write to one cache line.
    while (scratch_.size() < workers) scratch_.push_back(std::make_unique<typename S::Scratch>());
  }

  [[nodiscard]] std::optional<Error> stopped_by() const override {
    if constexpr (signers::RemoteSigner<S>) {
      return signer_.stopped_by();
    } else {
      return std::nullopt;
    }
  }

  using BatchSigner::sign_batch;
  void sign_batch(io::Batch& batch, std::size_t worker) const override {
    auto& scratch = *scratch_[worker];
    std::string& out = batch.out;
    std::string_view const sep = format_.separator();
    std::span<ObjectRef const> const objects = batch.objects;
    bool first = true;
    if constexpr (signers::GroupSigner<S>) {
      SignError errors[signers::kMaxSignGroup];
      for (std::size_t i = 0; i < objects.size();) {
        std::size_t const n = signer_.sign_group(objects.subspan(i), scratch, errors);
        for (std::size_t k = 0; k < n; ++k) {
          ObjectRef const& obj = objects[i + k];
          if (errors[k] != SignError::kOk) {
            failed(batch, i + k, describe(errors[k]), first);
            continue;
          }
          if (format_.may_reject()) {
            if (std::string const why = format_.reject_reason(obj); !why.empty()) {
              failed(batch, i + k, why, first);
              continue;
            }
          }
          if (!first) out.append(sep);
          format_.begin(out, obj);
          signer_.append_group_url(scratch, k, out);
          format_.end(out, obj);
          first = false;
        }
        i += n;
      }
    } else if constexpr (signers::RemoteSigner<S>) {
      // Every signature of the batch asked for at once (network calls that overlap), then the
      // records written in order, as in the group path.
      signer_.sign_all(objects, scratch);
      for (std::size_t i = 0; i < objects.size(); ++i) {
        ObjectRef const& obj = objects[i];
        if (SignError const err = signer_.outcome(scratch, i); err != SignError::kOk) {
          failed(batch, i, describe(err), first);
          continue;
        }
        if (format_.may_reject()) {
          if (std::string const why = format_.reject_reason(obj); !why.empty()) {
            failed(batch, i, why, first);
            continue;
          }
        }
        if (!first) out.append(sep);
        format_.begin(out, obj);
        signer_.append_url(scratch, i, out);
        format_.end(out, obj);
        first = false;
      }
    } else {
      for (std::size_t i = 0; i < objects.size(); ++i) {
        ObjectRef const& obj = objects[i];
        std::size_t const mark = out.size();
        if (!first) out.append(sep);
        format_.begin(out, obj);
        SignError const err = signer_.sign(obj, scratch, out);
        // As in the group path: a signing error first, then what the format refuses.
        std::string why;
        if (err == SignError::kOk) {
          if (format_.may_reject()) why = format_.reject_reason(obj);
          if (why.empty()) {
            format_.end(out, obj);
            first = false;
            continue;
          }
        }
        out.resize(mark);
        failed(batch, i, err == SignError::kOk ? std::string_view(why) : describe(err), first);
      }
    }
  }

 private:
  // Object `i` of `batch` failed (signing, or refused by the format): an in-band error record
  // where the format has them (with no separator before it, as always), and a line in the
  // batch's error log.
  void failed(io::Batch& batch, std::size_t i, std::string_view reason, bool& first) const {
    ObjectRef const& obj = batch.objects[i];
    ++batch.errors;
    if (format_.has_error_records()) {
      format_.error_record(batch.out, obj, reason);
      first = false;
    }
    // A key file says which line (empty lines are skipped, so the index is not the line).
    bool const by_line = i < batch.lines.size();
    batch.error_log += by_line ? "presign: line " : "presign: object ";
    batch.error_log += std::to_string(by_line ? batch.lines[i] : batch.first_index + i + 1);
    batch.error_log += " '";
    append_printable(batch.error_log, obj.key.substr(0, 200));
    batch.error_log += obj.key.size() > 200 ? "...': " : "': ";
    batch.error_log += reason;
    batch.error_log += '\n';
  }

  S const& signer_;
  io::RecordFormatter const& format_;
  mutable std::vector<std::unique_ptr<typename S::Scratch>> scratch_;
};

/// A look at a running job, for progress displays (taken on the progress thread).
struct Progress {
  std::uint64_t objects = 0;  ///< objects written
  std::uint64_t errors = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;    ///< since the job started
  double fraction = -1;  ///< of the input consumed, or negative when unknown
  bool final = false;    ///< the last call, after the job ended
};

struct RunStats;

struct PipelineOptions {
  unsigned threads = 0;  ///< signing threads; 0 = all cores
  /// Batches alive at once (ring capacity); 0 = 4 per thread, at least 8: enough that every
  /// worker has a batch while the writer drains others.
  std::size_t tokens = 0;
  /// Receives each batch's `error_log` in order (default: standard error).
  std::function<void(std::string_view)> on_object_errors;
  /// Called about every `progress_interval` from a separate thread, and once at the end.
  std::function<void(Progress const&)> on_progress;
  std::chrono::milliseconds progress_interval{500};
  /// When set, a checkpoint is written after each write group (see file comment).
  CheckpointWriter* checkpoint = nullptr;
  /// The state to continue from (resume), or a fresh state carrying fingerprint/signing time.
  CheckpointState start;
  bool resuming = false;  ///< `start` comes from a checkpoint: no header, counters continue
  /// zstd level 1..19 to compress the output, 0 for none. Every batch becomes one zstd frame,
  /// compressed on the signing workers; header, separators and footer are frames of their
  /// own. Frames depend only on the data, so a resumed job is still byte-identical.
  int zstd_level = 0;
  /// When set, receives the counts of a run that fails (objects written so far, batches,
  /// latency), e.g. for a run summary; a successful run returns them instead.
  RunStats* failure_stats = nullptr;
  /// When set and it becomes true (SIGINT/SIGTERM), the input stops reading, the batches
  /// already read are written (and checkpointed), and the run returns an Error of kind
  /// kCancelled without committing the sink. A source error seen once it is set (a listing
  /// cancelled along with it) counts as the cancellation.
  std::atomic<bool> const* cancel = nullptr;
};

struct RunStats {
  std::uint64_t objects = 0;  ///< objects read from the source (whole job, resumes included)
  std::uint64_t errors = 0;   ///< of which failed (error records / left out)
  std::uint64_t bytes = 0;    ///< bytes of output (whole file)
  std::uint64_t batches = 0;  ///< batches written by this run
  std::uint64_t objects_this_run =
      0;                        ///< objects written by this run (`objects` minus the resumed ones)
  bool resumed = false;         ///< the run continued a checkpointed job
  bool signer_stopped = false;  ///< the run failed because the signer stopped (stopped_by)
  unsigned threads = 0;
  double wall_seconds = 0;
  LatencyHistogram latency;  ///< per object: page arrival → its record written
};

/// Runs the whole job: writes the header, every batch in order, the footer, then commits
/// the sink. The first source, sink or signer error (`BatchSigner::stopped_by`) stops the job
/// and is returned; the sink is not committed then (an atomic file sink removes its temporary
/// file), and no batch signed after the signer stopped is written.
Result<RunStats> run_pipeline(io::ObjectSource& source, BatchSigner const& signer,
                              io::RecordFormatter const& format, io::OutputSink& sink,
                              PipelineOptions const& options);

}  // namespace presign::engine
