#pragma once
/// The batch pipeline: source → parallel signing → in-order writer.
///
/// Shape (oneTBB `parallel_pipeline`): a serial-in-order input filter pulls batches from the
/// `ObjectSource`, a parallel filter signs and formats each batch on any worker, and a
/// serial-in-order output filter writes finished batches strictly in sequence. At most
/// `tokens` batches exist at once, and batches are recycled through a pool, so memory is
/// bounded by tokens × batch size whatever the number of objects.

#include "presign/core/error.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/io/source.hpp"
#include "presign/signers/signer.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <cstdint>
#include <functional>
#include <string_view>

namespace presign::engine {

/// Turns a batch of objects into formatted records. Called concurrently on different batches;
/// implementations keep per-thread state internally.
class BatchSigner {
 public:
  virtual ~BatchSigner() = default;
  /// Fills `batch.out` with one record per object (in order), counts failures in
  /// `batch.errors` and describes each in `batch.error_log`. Never throws for bad objects.
  virtual void sign_batch(io::Batch& batch) const = 0;
};

/// The `BatchSigner` for any `Signer`: one scratch per worker thread, records formatted
/// around the URL the signer appends.
template <signers::Signer S>
class FormattingBatchSigner final : public BatchSigner {
 public:
  FormattingBatchSigner(S const& signer, io::RecordFormatter const& format)
      : signer_(signer), format_(format) {}

  void sign_batch(io::Batch& batch) const override {
    auto& scratch = scratch_.local();
    std::string& out = batch.out;
    std::string_view const sep = format_.separator();
    bool first = true;
    for (std::size_t i = 0; i < batch.objects.size(); ++i) {
      ObjectRef const& obj = batch.objects[i];
      std::size_t const mark = out.size();
      if (!first) out.append(sep);
      format_.begin(out, obj);
      SignError const err = signer_.sign(obj, scratch, out);
      if (err == SignError::kOk) {
        format_.end(out, obj);
        first = false;
        continue;
      }
      out.resize(mark);
      ++batch.errors;
      if (format_.has_error_records()) {
        format_.error_record(out, obj, describe(err));
        first = false;
      }
      batch.error_log += "presign: object ";
      batch.error_log += std::to_string(batch.first_index + i + 1);
      batch.error_log += " '";
      io::append_printable(batch.error_log, obj.key.substr(0, 200));
      batch.error_log += obj.key.size() > 200 ? "...': " : "': ";
      batch.error_log += describe(err);
      batch.error_log += '\n';
    }
  }

 private:
  S const& signer_;
  io::RecordFormatter const& format_;
  mutable tbb::enumerable_thread_specific<typename S::Scratch> scratch_;
};

struct PipelineOptions {
  unsigned threads = 0;     ///< signing threads; 0 = all cores
  std::size_t tokens = 0;   ///< batches in flight; 0 = 4 per thread (keeps every worker busy)
  /// Receives each batch's `error_log` in order (default: standard error).
  std::function<void(std::string_view)> on_object_errors;
};

struct RunStats {
  std::uint64_t objects = 0;  ///< objects read from the source
  std::uint64_t errors = 0;   ///< of which failed (error records / left out)
  std::uint64_t bytes = 0;    ///< bytes written, header and footer included
  std::uint64_t batches = 0;
  double wall_seconds = 0;
};

/// Runs the whole job: writes the header, every batch in order, the footer, then commits
/// the sink. The first source or sink error stops the job and is returned; the sink is not
/// committed then (an atomic file sink removes its temporary file).
Result<RunStats> run_pipeline(io::ObjectSource& source, BatchSigner const& signer,
                              io::RecordFormatter const& format, io::OutputSink& sink,
                              PipelineOptions const& options);

}  // namespace presign::engine
