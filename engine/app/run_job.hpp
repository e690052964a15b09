#pragma once
/// Shared by the provider runners: URI parsing, error reporting and the job itself.

#include "exit_codes.hpp"
#include "progress.hpp"
#include "interrupt.hpp"
#include "sign_command.hpp"
#include "summary.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/listing.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

namespace presign::app {

struct BucketUri {
  std::string scheme;
  std::string bucket;
  std::string prefix;
};

inline Result<BucketUri> parse_bucket_uri(std::string const& uri) {
  auto sep = uri.find("://");
  if (sep == std::string::npos) {
    return make_error(ErrorKind::kUsage,
                      "'" + uri + "' is not a bucket URI (e.g. s3://bucket/prefix)");
  }
  BucketUri u;
  u.scheme = uri.substr(0, sep);
  std::string rest = uri.substr(sep + 3);
  auto slash = rest.find('/');
  u.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) u.prefix = rest.substr(slash + 1);
  if (u.bucket.empty()) return make_error(ErrorKind::kUsage, "'" + uri + "' names no bucket");
  return u;
}

/// The last failure `fail` reported (for the run summary); empty when none was.
inline std::optional<Error>& last_failure() {
  static std::optional<Error> e;
  return e;
}

inline int fail(Error const& e) {
  end_progress_line();
  std::fprintf(stderr, "presign: %s\n", e.detail.c_str());
  last_failure() = e;
  // Interrupted: 128 + the signal (130 SIGINT, 143 SIGTERM), as a shell reports it.
  return e.kind == ErrorKind::kCancelled ? interrupt::exit_code() : exit_code_for(e.kind);
}

/// The error of a job stopped by SIGINT/SIGTERM; `what` says what became of the output.
inline Error interrupted_error(std::string const& what) {
  return make_error(ErrorKind::kCancelled,
                    std::string("interrupted (") + interrupt::signal_name() + "); " + what);
}

/// The sink for `--output PATH` without a checkpoint: standard output for "" or "-"; a
/// character device, FIFO or socket (or a symlink to one) written in place; otherwise the
/// atomic file sink, at a symlink's target when PATH is a symlink to a regular file.
inline Result<std::unique_ptr<io::OutputSink>> open_output(std::string const& path) {
  if (path.empty() || path == "-") return io::make_fd_sink(STDOUT_FILENO, "standard output");
  auto target = io::resolve_output_target(path);
  if (!target) return target.error();
  if (target->in_place) return io::make_in_place_sink(target->path);
  return io::make_atomic_file_sink(target->path);
}

/// The options of a bucket listing, shared by `presign sign` (without --keys-from) and
/// `presign ls`. Both commands hold them as same-named members, registered and read by the
/// templates below.
struct ListingFlags {
  std::string endpoint;
  std::string region;
  std::string addressing = "auto";
  std::string credentials;
  std::string access_token;
  std::string ca_bundle;
  bool no_verify_ssl = false;
  std::uint32_t page_size = 0;  ///< 0: the provider's maximum (an explicit 0 is refused)
  std::string start_after;
  int retry_max_attempts = 0;    ///< 0: the listing retry profile's default
  std::string retry_base_delay;  ///< empty: the profile's default (AWS, GCS 1 s; Azure 0.8 s)
  bool quiet = false;            ///< --quiet: retries are not reported (progress.hpp)
};

template <class O>
ListingFlags listing_flags(O const& o) {
  return ListingFlags{o.endpoint,           o.region,           o.addressing,
                      o.credentials,        o.access_token,     o.ca_bundle,
                      o.no_verify_ssl,      o.page_size,        o.start_after,
                      o.retry_max_attempts, o.retry_base_delay, o.quiet};
}

/// Registers the listing-only options (the ones `sign` without --keys-from and `ls` share;
/// --endpoint, --region, --addressing and --credentials are registered by each command).
template <class O>
void add_listing_options(CLI::App* cmd, O& o, char const* when) {
  std::string const w = when;
  cmd->add_option("--page-size", o.page_size,
                  "keys per listing request" + w +
                      ": 1-1000 for s3:// and gs://, 1-5000 for "
                      "az:// (default: the maximum)")
      ->check(CLI::Range(1U, 5000U));
  cmd->add_option("--start-after", o.start_after,
                  "s3://: list only keys after KEY (byte order)" + w);
  cmd->add_option("--access-token", o.access_token,
                  "gs://: OAuth2 access token for listing (default GOOGLE_OAUTH_ACCESS_TOKEN)" + w);
  cmd->add_option("--ca-bundle", o.ca_bundle,
                  "PEM file of CAs to trust instead of the system's, for listing requests" + w);
  cmd->add_flag("--no-verify-ssl", o.no_verify_ssl,
                "accept any TLS certificate when listing (dangerous; warns on stderr)" + w);
  cmd->add_option("--retry-max-attempts", o.retry_max_attempts,
                  "attempts per listing page, the first included (default 8)" + w)
      ->check(CLI::Range(1, 100));
  cmd->add_option(
      "--retry-base-delay", o.retry_base_delay,
      "backoff base between listing attempts: 10ms, 1s, 2m (default 1s, Azure 0.8s; each retry "
      "waits a random time up to base x 2^(retry-1), at most 20 s)" +
          w);
}

/// What a listing needs, validated: the provider's page fetcher (credentials resolved) and
/// the listing options (prefix from the URI, start-after, page size).
struct ListingSetup {
  std::unique_ptr<io::PageFetcher> fetcher;
  io::ListingOptions options;
};

/// Validates the flags for `uri`'s provider (page-size range, s3-only --start-after, the
/// retry delay) and builds the provider's fetcher. Warns on stderr about --no-verify-ssl.
/// Makes no request. Errors keep their kind (usage 2, configuration/credentials 3).
Result<ListingSetup> prepare_listing(BucketUri const& uri, ListingFlags const& flags);

/// The prefix a listing of `uri` asks for: the URI's prefix, or for az:// what follows the
/// container (az://ACCOUNT/CONTAINER/PREFIX).
std::string listing_prefix(BucketUri const& uri);

/// A failure that happened while listing, as the program reports it: a missing bucket or a
/// wrong region (kConfig, the service's answer) is a listing failure (exit 5) like a network
/// or protocol failure; refused credentials stay kAuth (3), local I/O kIo (4).
Error as_listing_failure(Error e);

/// Checks, before any credentials are looked up, that the source options fit together:
/// with --keys-from, no URI prefix (keys are full names) and no listing-only flag; without
/// it, the listing flags are valid for the URI's provider.
Result<void> check_source_options(BucketUri const& uri, SignOptions const& o);

/// The job's source and whether it lists. With --keys-from: the key file (opened, not read).
/// Without: the bucket listing, whose first page (after `resume_position`, when resuming) is
/// fetched before this returns, so that a missing bucket, refused credentials or an
/// unreachable endpoint are reported before any output file or checkpoint is created.
/// `prime` false: build the listing but fetch nothing (a resume that only has to publish).
struct JobSource {
  std::unique_ptr<io::ObjectSource> source;
  bool listing = false;
  io::KeyFileSource* key_file = nullptr;  ///< `source`, when it is a key file (for its warnings)
};
Result<JobSource> open_job_source(SignOptions const& o, std::string const& resume_position,
                                  bool prime);

/// SHA-256 (hex) of everything that determines the output bytes; a resume must match it.
std::string job_fingerprint(SignOptions const& o, io::Format format, SigningTime expires_at);

/// The key file's warnings (CRLF, URIs, `aws s3 ls` lines, repeats, no keys), one line each.
void print_key_file_warnings(JobSource const& js);

/// Signs every object of the job's source (the key file, or the bucket listing; see
/// open_job_source) and writes the records. Returns the process exit code.
template <signers::Signer S>
int run_job(S const& signer, SigningTime expires_at, SignOptions const& o, io::Format format) {
  std::string const fingerprint = job_fingerprint(o, format, expires_at);
  JobReport scratch_report;
  JobReport& report = o.report ? *o.report : scratch_report;
  report.expires_at = expires_at;
  // Before the source is opened: a checkpoint of another job must not steer its seek.
  if (o.resume_state && o.resume_state->fingerprint != fingerprint) {
    return fail(
        make_error(ErrorKind::kUsage,
                   "checkpoint " + o.checkpoint +
                       " belongs to a job with other "
                       "parameters (bucket, prefix, keys, format, expiry, ...); cannot resume"));
  }
  // Open the input before the output: an unreadable key file, a missing bucket or an
  // unreachable endpoint must not create an output file.
  bool const publish_only = o.resume_state && o.resume_state->complete;
  auto opened = open_job_source(o, o.resume_state ? o.resume_state->source_position : std::string(),
                                !publish_only);
  if (!opened) return fail(opened.error());
  auto& source = opened->source;
  bool const listing = opened->listing;
  // The first SIGINT/SIGTERM cuts a listing's wait or backoff short; the pipeline then stops.
  interrupt::CancelHook const cancel_listing([src = source.get()] { src->cancel(); });
  if (interrupt::requested()) {
    if (listing) (void)source.release();  // a prefetch may be on the wire: do not wait for it
    return fail(interrupted_error("no output written"));
  }

  engine::PipelineOptions popts;
  popts.threads = o.threads;
  if (!o.compress.empty())
    popts.zstd_level = o.compress.size() > 5 ? std::atoi(o.compress.c_str() + 5) : 1;
  popts.start.fingerprint = fingerprint;
  popts.start.signing_time = o.when.time_since_epoch().count();
  std::optional<engine::CheckpointWriter> checkpoint;
  std::unique_ptr<io::OutputSink> sink;
  if (o.checkpoint.empty()) {
    auto s = open_output(o.output);
    if (!s) return fail(s.error());
    sink = std::move(*s);
  } else {
    // Lock the job before touching its partial output: a second process must not truncate
    // or append to the file the first one is writing.
    // A symlink to a regular file is published at its target (run_sign refused anything
    // that is not a regular file or a new path).
    auto target = io::resolve_output_target(o.output);
    if (!target) return fail(target.error());
    std::string const& out_path = target->path;
    auto ck = engine::CheckpointWriter::open(o.checkpoint);
    if (!ck) return fail(ck.error());
    checkpoint.emplace(std::move(*ck));
    popts.checkpoint = &*checkpoint;
    if (o.resume_state) {
      popts.start = *o.resume_state;
      popts.resuming = true;
      if (!o.resume_state->complete) {
        std::fprintf(stderr, "presign: resuming from %s: %llu objects already written\n",
                     o.checkpoint.c_str(),
                     static_cast<unsigned long long>(o.resume_state->objects));
      }
      if (o.resume_state->complete) {
        // Killed while publishing: nothing is left to sign, only the rename to finish.
        auto const& st = *o.resume_state;
        report.stats.objects = st.objects;
        report.stats.errors = st.errors;
        report.stats.bytes = st.output_bytes;
        report.stats.resumed = true;
        if (auto r = io::finish_resumable_output(out_path, st.part_path, st.output_bytes); !r) {
          return fail(r.error());
        }
        if (auto r = checkpoint->remove(); !r) return fail(r.error());
        if (st.errors > 0) {
          std::fprintf(stderr,
                       "presign: %llu of %llu objects could not be signed (reported by the "
                       "interrupted run)\n",
                       static_cast<unsigned long long>(st.errors),
                       static_cast<unsigned long long>(st.objects));
          return kPartial;
        }
        return kOk;
      }
    }
    std::string const part =
        o.resume_state ? o.resume_state->part_path : io::resumable_part_path(out_path);
    popts.start.part_path = part;
    auto s = io::make_resumable_file_sink(
        out_path, part,
        o.resume_state ? std::optional<std::uint64_t>(o.resume_state->output_bytes) : std::nullopt);
    if (!s) return fail(s.error());
    sink = std::move(*s);
  }
  // A second signal exits at once; without a checkpoint it takes the partial file with it.
  if (!checkpoint) interrupt::set_cleanup_file(sink->part_path());
  struct ClearCleanup {
    ~ClearCleanup() { interrupt::set_cleanup_file({}); }
  } const clear_cleanup;
  popts.cancel = &interrupt::flag();
  io::RecordFormatter formatter(format, format_rfc3339(expires_at), o.labelbox);
  engine::FormattingBatchSigner<S> batch_signer(signer, formatter);
  if (!o.quiet && ::isatty(STDERR_FILENO)) popts.on_progress = print_progress;
  popts.failure_stats = &report.stats;
  auto stats = engine::run_pipeline(*source, batch_signer, formatter, *sink, popts);
  print_key_file_warnings(*opened);
  if (!stats) {
    if (stats.error().kind == ErrorKind::kCancelled) {
      // A listing request may still be on the wire: do not wait for it to time out.
      if (listing) (void)source.release();
      if (checkpoint) {
        return fail(interrupted_error(
            "progress saved in " + o.checkpoint + " (" + std::to_string(report.stats.objects) +
            " objects written); rerun the same command with --resume to continue"));
      }
      return fail(interrupted_error(sink->part_path().empty() ? "the output is incomplete"
                                                              : "no output written"));
    }
    if (checkpoint) {
      std::fprintf(stderr, "presign: progress is saved in %s; rerun with --resume to continue\n",
                   o.checkpoint.c_str());
    }
    return fail(listing ? as_listing_failure(stats.error()) : stats.error());
  }
  report.stats = std::move(*stats);
  auto const& done = report.stats;
  if (done.errors > 0) {
    std::fprintf(stderr, "presign: %llu of %llu objects could not be signed (listed above)\n",
                 static_cast<unsigned long long>(done.errors),
                 static_cast<unsigned long long>(done.objects));
    return kPartial;
  }
  return kOk;
}

}  // namespace presign::app
