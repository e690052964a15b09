// The job as a library call (job.hpp): opening its source and output, and its outcome.

#include "presign/engine/job.hpp"

#include <unistd.h>

namespace presign::engine {
namespace {

// A source whose first batch was fetched before the job opened its output (see open_job).
// The pipeline then seeks it to the position it was primed at (a no-op) and takes that batch
// first.
class PrimedSource final : public io::ObjectSource {
 public:
  explicit PrimedSource(std::unique_ptr<io::ObjectSource> inner) : inner_(std::move(inner)) {}

  Result<void> prime(std::string const& position) {
    if (!position.empty()) {
      if (auto r = inner_->seek(position); !r) return r.error();
    }
    position_ = position;
    auto got = inner_->next(first_);
    if (!got) return got.error();
    pending_ = *got;
    exhausted_ = !*got;
    return {};
  }

  Result<bool> next(io::Batch& batch) override {
    if (pending_) {
      pending_ = false;
      take_first(batch);
      return true;
    }
    if (exhausted_) {
      batch.reset();
      return false;
    }
    return inner_->next(batch);
  }

  Result<void> seek(std::string const& position) override {
    if (position != position_) {
      return make_error(ErrorKind::kInternal,
                        "the listing was primed at another position than "
                        "the one the job resumes from");
    }
    return {};
  }

  [[nodiscard]] double fraction_done() const override { return inner_->fraction_done(); }
  void cancel() noexcept override { inner_->cancel(); }
  // When the listing's thread cannot be stopped (a request on the wire), only the listing is
  // left behind, held by its own detached thread; this wrapper lets go of it and may itself be
  // destroyed (so it is not reported as a leak: nothing refers to it any more).
  bool stop(std::chrono::milliseconds grace) noexcept override {
    if (!inner_->stop(grace)) (void)inner_.release();
    return true;
  }

 private:
  // Copies the first batch into the engine's pooled one. The keys are views into `data`, so
  // they are rebuilt from their offsets (a moved short string would leave them dangling).
  void take_first(io::Batch& batch) {
    batch.reset();
    batch.seq = first_.seq;
    batch.first_index = first_.first_index;
    batch.source_position = first_.source_position;
    batch.arrived_ns = first_.arrived_ns;
    batch.data = first_.data;
    batch.objects.reserve(first_.objects.size());
    char const* const base = first_.data.data();
    std::string_view const data = batch.data;
    for (ObjectRef const& o : first_.objects) {
      ObjectRef r;
      r.key = data.substr(static_cast<std::size_t>(o.key.data() - base), o.key.size());
      r.version = o.version;  // never a view into `data` (listings carry no versions yet)
      batch.objects.push_back(r);
    }
    first_.reset();
  }

  std::unique_ptr<io::ObjectSource> inner_;
  io::Batch first_;
  std::string position_;
  bool pending_ = false;
  bool exhausted_ = false;
};

// Opens the job's source. A listing's first page (after the resume position) is fetched
// here, before any output exists, so that a missing bucket, refused credentials or an
// unreachable endpoint leave no file behind. `prime` false: a resume that only publishes.
Result<std::unique_ptr<io::ObjectSource>> open_source(JobSpec& spec, CancelSource& cancel,
                                                      bool prime, io::KeyFileSource*& key_file) {
  if (auto* k = std::get_if<KeyFileInput>(&spec.input)) {
    auto source = io::KeyFileSource::open(k->path);
    if (!source) return source.error();
    (*source)->set_strip_cr(k->strip_cr);
    (*source)->set_check_repeats(k->check_repeats);
    key_file = source->get();
    return std::unique_ptr<io::ObjectSource>(std::move(*source));
  }
  auto& l = std::get<ListingInput>(spec.input);
  auto listing = io::make_listing_source(std::move(l.fetcher), std::move(l.options));
  if (!prime) return listing;
  auto primed = std::make_unique<PrimedSource>(std::move(listing));
  Result<void> r;
  {
    // A cancellation while the first page is fetched (or its retries back off) stops it.
    CancelSource::Hook const hook(cancel, [p = primed.get()] { p->cancel(); });
    r = primed->prime(spec.resume ? spec.resume->source_position : std::string());
  }
  if (!r) {
    if (cancel.requested()) {
      io::let_go(std::move(primed), spec.stop_grace);  // a request on the wire is not awaited
      return make_error(ErrorKind::kCancelled, "cancelled before the first page was listed");
    }
    return as_listing_failure(r.error());
  }
  return std::unique_ptr<io::ObjectSource>(std::move(primed));
}

// Publishes the output of a job killed while publishing: nothing is left to sign.
void publish_only(JobSpec const& spec, std::string const& out_path, CheckpointWriter& checkpoint,
                  JobResult& result) {
  auto const& st = *spec.resume;
  result.publish_only = true;
  result.stats.objects = st.objects;
  result.stats.errors = st.errors;
  result.stats.bytes = st.output_bytes;
  result.stats.resumed = true;
  if (auto r = io::finish_resumable_output(out_path, st.part_path, st.output_bytes); !r) {
    result.error = r.error();
    return;
  }
  if (auto r = checkpoint.remove(); !r) result.error = r.error();
}

}  // namespace

Result<std::unique_ptr<io::OutputSink>> open_output(std::string const& path) {
  if (path.empty() || path == "-") return io::make_fd_sink(STDOUT_FILENO, "standard output");
  auto target = io::resolve_output_target(path);
  if (!target) return target.error();
  if (target->in_place) return io::make_in_place_sink(target->path);
  return io::make_atomic_file_sink(target->path);
}

Error as_listing_failure(Error e) {
  if (e.kind == ErrorKind::kConfig) e.kind = ErrorKind::kProtocol;
  return e;
}

namespace detail {

bool open_job(JobSpec& spec, CancelSource& cancel, JobObserver& observer, OpenJob& job,
              JobResult& result) {
  auto failed = [&](Error e) {
    result.error = std::move(e);
    return false;
  };
  // Before the source is opened: a checkpoint of another job must not steer its seek.
  if (spec.resume && spec.resume->fingerprint != spec.fingerprint) {
    return failed(make_error(ErrorKind::kUsage,
                             "checkpoint " + spec.checkpoint +
                                 " belongs to a job with other parameters (bucket, prefix, keys, "
                                 "format, expiry, ...); cannot resume"));
  }
  // The input before the output: an unreadable key file, a missing bucket or an unreachable
  // endpoint must not create an output file.
  bool const publishing = spec.resume && spec.resume->complete;
  auto source = open_source(spec, cancel, !publishing, job.key_file);
  if (!source) return failed(source.error());
  job.source = std::move(*source);
  // From here a cancellation also cuts a listing's wait or backoff short.
  job.cancel_hook.emplace(cancel, [src = job.source.get()] { src->cancel(); });
  if (cancel.requested()) {
    job.cancel_hook.reset();
    if (result.listing) io::let_go(std::move(job.source), spec.stop_grace);
    return failed(make_error(ErrorKind::kCancelled, "cancelled before any output was written"));
  }

  PipelineOptions& popts = job.options;
  popts.threads = spec.threads;
  popts.zstd_level = spec.zstd_level;
  popts.start.fingerprint = spec.fingerprint;
  popts.start.signing_time = spec.signing_time.time_since_epoch().count();
  if (spec.checkpoint.empty()) {
    auto sink = open_output(spec.output);
    if (!sink) return failed(sink.error());
    job.sink = std::move(*sink);
    result.output_streamed = job.sink->part_path().empty();
  } else {
    // Lock the job before touching its partial output: a second process must not truncate
    // or append to the file the first one is writing. A symlink to a regular file is
    // published at its target.
    auto target = io::resolve_output_target(spec.output);
    if (!target) return failed(target.error());
    if (target->in_place) {
      return failed(make_error(ErrorKind::kUsage,
                               "a checkpointed job needs a regular file (or a new path) as its "
                               "output: " +
                                   spec.output + " is a device, FIFO or socket"));
    }
    std::string const& out_path = target->path;
    auto ck = CheckpointWriter::open(spec.checkpoint);
    if (!ck) return failed(ck.error());
    job.checkpoint.emplace(std::move(*ck));
    popts.checkpoint = &*job.checkpoint;
    if (spec.resume) {
      popts.start = *spec.resume;
      popts.resuming = true;
      if (publishing) {
        publish_only(spec, out_path, *job.checkpoint, result);
        return false;
      }
      observer.on_resuming(spec.checkpoint, spec.resume->objects);
    }
    std::string const part =
        spec.resume ? spec.resume->part_path : io::resumable_part_path(out_path);
    popts.start.part_path = part;
    auto sink = io::make_resumable_file_sink(
        out_path, part,
        spec.resume ? std::optional<std::uint64_t>(spec.resume->output_bytes) : std::nullopt);
    if (!sink) return failed(sink.error());
    job.sink = std::move(*sink);
  }
  // A hard stop (a second signal) takes a job's partial file with it when no resume needs it.
  if (!job.checkpoint) observer.on_partial_file(job.sink->part_path());
  popts.cancel = &cancel.flag();
  if (observer.wants_progress()) {
    popts.on_progress = [&observer](Progress const& p) { observer.on_progress(p); };
  }
  return true;
}

void finish_job(Result<RunStats> stats, JobSpec const& spec, JobObserver& observer, OpenJob& job,
                JobResult& result) {
  if (!job.checkpoint) observer.on_partial_file({});
  if (job.key_file != nullptr) result.warnings = job.key_file->warnings();
  job.cancel_hook.reset();
  if (stats) {
    result.stats = std::move(*stats);
    return;
  }
  Error e = stats.error();
  if (e.kind == ErrorKind::kCancelled) {
    // A listing request may still be on the wire: do not wait for it to time out.
    if (result.listing) io::let_go(std::move(job.source), spec.stop_grace);
    result.error = std::move(e);
    return;
  }
  // The signer's own failure (keyless signing refused) is not the listing's.
  bool const listing_failed = result.listing && !result.stats.signer_stopped;
  result.error = listing_failed ? as_listing_failure(std::move(e)) : std::move(e);
}

}  // namespace detail
}  // namespace presign::engine
