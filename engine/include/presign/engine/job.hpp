#pragma once
/// A whole signing job as one library call: open the source (a key file, or a bucket listing
/// whose first page is fetched before any output exists), open the output (a stream, an
/// atomic file, or a resumable file with its checkpoint), run the pipeline, publish.
///
/// Nothing here prints, exits or knows a command line: what a user should see arrives through
/// a JobObserver, and the outcome is a JobResult the caller turns into messages and an exit
/// status (the program: app/run_job.hpp). A CancelSource stops the job at a safe point;
/// with a checkpoint, the work written so far is kept for a resume.

#include "presign/core/cancel.hpp"
#include "presign/core/error.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/checkpoint.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace presign::engine {

/// Keys from a file, one per line ("-": standard input).
struct KeyFileInput {
  std::string path;
  bool strip_cr = false;      ///< drop one trailing '\r' from each line
  bool check_repeats = true;  ///< warn about repeated keys (costs memory per distinct key)
};

/// Keys from a bucket listing: the provider's page fetcher (credentials resolved, no request
/// made yet) and what to list.
struct ListingInput {
  std::unique_ptr<io::PageFetcher> fetcher;
  io::ListingOptions options;
};

struct JobSpec {
  std::variant<KeyFileInput, ListingInput> input;
  /// Where the records go: "" or "-" standard output; a character device, FIFO or socket
  /// (or a symlink to one) is written in place; anything else atomically (a temporary file
  /// renamed at the end), at a symlink's target.
  std::string output;
  /// With a checkpoint, `output` must be a regular file or a new path: it is written as a
  /// resumable part file and progress is recorded after each write group.
  std::string checkpoint;
  /// The checkpointed job to continue (its fingerprint must equal `fingerprint`).
  std::optional<CheckpointState> resume;
  io::Format format = io::Format::kNdjson;
  io::LabelboxOptions labelbox;
  unsigned threads = 0;  ///< 0: all cores
  int zstd_level = 0;    ///< 1..19 compresses the output, 0 does not
  /// Identifies everything that shapes the output bytes; a resume must match it.
  std::string fingerprint;
  SigningTime signing_time{};
  SigningTime expires_at{};
  /// How long a cancelled job waits for a listing thread before leaving it (detached) to
  /// finish its request on its own.
  std::chrono::milliseconds stop_grace{500};
};

/// What a user of the job may want to see while it runs. Called from the job's threads (the
/// progress thread for on_progress); the default does nothing.
class JobObserver {
 public:
  virtual ~JobObserver() = default;
  /// Whether on_progress should be called at all (a progress thread costs a wakeup a tick).
  [[nodiscard]] virtual bool wants_progress() const { return false; }
  virtual void on_progress(Progress const& /*progress*/) {}
  /// A checkpointed job resumes with `objects` already written.
  virtual void on_resuming(std::string const& /*checkpoint*/, std::uint64_t /*objects*/) {}
  /// The temporary file a hard stop should remove (a job without checkpoint); "" when the
  /// job no longer has one.
  virtual void on_partial_file(std::string const& /*path*/) {}
};

struct JobResult {
  RunStats stats;  ///< counts so far, also when the job failed or was cancelled
  /// Set when the job did not complete. kCancelled: stopped by the CancelSource (with a
  /// checkpoint the work written is kept; without one no output is left, unless it was a
  /// stream). A missing bucket or a wrong region while listing is a listing failure
  /// (kProtocol), not a configuration error.
  std::optional<Error> error;
  bool listing = false;               ///< the keys came from a bucket listing
  bool started = false;               ///< the output was opened and the pipeline ran
  bool output_streamed = false;       ///< written as it went (stdout, a device): nothing to undo
  bool publish_only = false;          ///< a resume that only had to publish a finished output
  std::vector<std::string> warnings;  ///< about the key file (CRLF, URIs, repeats, no keys)
};

/// The sink for an output path without a checkpoint (see JobSpec::output).
Result<std::unique_ptr<io::OutputSink>> open_output(std::string const& path);

/// A failure while listing, as a job reports it: the service's "no such bucket" or "wrong
/// region" (kConfig) becomes a listing failure (kProtocol); every other kind stays.
Error as_listing_failure(Error e);

namespace detail {

/// A job between its preparation and its pipeline run (job.cpp).
struct OpenJob {
  std::unique_ptr<io::ObjectSource> source;
  io::KeyFileSource* key_file = nullptr;  ///< `source`, when it is a key file
  std::optional<CheckpointWriter> checkpoint;
  std::unique_ptr<io::OutputSink> sink;
  PipelineOptions options;
  std::optional<CancelSource::Hook> cancel_hook;  ///< cancels the source; goes first
};

/// Opens the source and the output. Returns false when the job is over before the pipeline
/// (an error, a cancellation, or a resume that only had to publish): `result` says how.
bool open_job(JobSpec& spec, CancelSource& cancel, JobObserver& observer, OpenJob& job,
              JobResult& result);
/// Records the pipeline's outcome in `result` and lets the source go.
void finish_job(Result<RunStats> stats, JobSpec const& spec, JobObserver& observer, OpenJob& job,
                JobResult& result);

}  // namespace detail

/// Runs the job with `signer` (see the file comment). Never prints; never throws for a
/// failure of the job (only bad_alloc).
template <signers::Signer S>
JobResult run_job(S const& signer, JobSpec spec, CancelSource& cancel, JobObserver& observer) {
  JobResult result;
  result.listing = std::holds_alternative<ListingInput>(spec.input);
  detail::OpenJob job;
  if (!detail::open_job(spec, cancel, observer, job, result)) return result;
  io::RecordFormatter formatter(spec.format, format_rfc3339(spec.expires_at), spec.labelbox);
  FormattingBatchSigner<S> batch_signer(signer, formatter);
  job.options.failure_stats = &result.stats;
  result.started = true;
  auto stats = run_pipeline(*job.source, batch_signer, formatter, *job.sink, job.options);
  detail::finish_job(std::move(stats), spec, observer, job, result);
  return result;
}

}  // namespace presign::engine
