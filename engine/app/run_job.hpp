#pragma once
/// Shared by the provider runners: URI parsing, error reporting and the job itself.

#include "exit_codes.hpp"
#include "sign_command.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"

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
    return make_error(ErrorKind::kUsage, "'" + uri + "' is not a bucket URI (e.g. s3://bucket/prefix)");
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

inline int fail(Error const& e) {
  std::fprintf(stderr, "presign: %s\n", e.detail.c_str());
  return exit_code_for(e.kind);
}

/// SHA-256 (hex) of everything that determines the output bytes; a resume must match it.
std::string job_fingerprint(SignOptions const& o, io::Format format, SigningTime expires_at);

/// Progress line on stderr (TTY only), the summary file, exit status.
void print_progress(engine::Progress const& p);
Result<void> write_summary(std::string const& path, engine::RunStats const& stats,
                           SignOptions const& o, io::Format format);

template <signers::Signer S>
int run_job(S const& signer, SigningTime expires_at, SignOptions const& o, io::Format format) {
  // Open the input before the output: an unreadable key file must not create an output file.
  auto source = io::KeyFileSource::open(o.keys_from);
  if (!source) return fail(source.error());

  engine::PipelineOptions popts;
  popts.threads = o.threads;
  if (!o.compress.empty()) popts.zstd_level = o.compress.size() > 5 ? std::atoi(o.compress.c_str() + 5) : 1;
  popts.start.fingerprint = job_fingerprint(o, format, expires_at);
  popts.start.signing_time = o.when.time_since_epoch().count();
  std::optional<engine::CheckpointWriter> checkpoint;
  std::unique_ptr<io::OutputSink> sink;
  if (o.output.empty() || o.output == "-") {
    sink = io::make_fd_sink(STDOUT_FILENO, "standard output");
  } else if (!o.checkpoint.empty()) {
    // Lock the job before touching its partial output: a second process must not truncate
    // or append to the file the first one is writing.
    auto ck = engine::CheckpointWriter::open(o.checkpoint);
    if (!ck) return fail(ck.error());
    checkpoint.emplace(std::move(*ck));
    popts.checkpoint = &*checkpoint;
    if (o.resume_state) {
      if (o.resume_state->fingerprint != popts.start.fingerprint) {
        return fail(make_error(ErrorKind::kUsage,
                               "checkpoint " + o.checkpoint + " belongs to a job with other "
                               "parameters (bucket, keys, format, expiry, ...); cannot resume"));
      }
      popts.start = *o.resume_state;
      popts.resuming = true;
      if (o.resume_state->complete) {
        // Killed while publishing: nothing is left to sign, only the rename to finish.
        auto const& st = *o.resume_state;
        if (auto r = io::finish_resumable_output(o.output, st.part_path, st.output_bytes); !r) {
          return fail(r.error());
        }
        if (auto r = checkpoint->remove(); !r) return fail(r.error());
        if (st.errors > 0) {
          std::fprintf(stderr, "presign: %llu of %llu objects could not be signed (reported by the "
                               "interrupted run)\n",
                       static_cast<unsigned long long>(st.errors),
                       static_cast<unsigned long long>(st.objects));
          return kPartial;
        }
        return kOk;
      }
    }
    std::string const part = o.resume_state ? o.resume_state->part_path
                                            : io::resumable_part_path(o.output);
    popts.start.part_path = part;
    auto s = io::make_resumable_file_sink(
        o.output, part,
        o.resume_state ? std::optional<std::uint64_t>(o.resume_state->output_bytes) : std::nullopt);
    if (!s) return fail(s.error());
    sink = std::move(*s);
  } else {
    auto s = io::make_atomic_file_sink(o.output);
    if (!s) return fail(s.error());
    sink = std::move(*s);
  }
  io::RecordFormatter formatter(format, format_rfc3339(expires_at));
  engine::FormattingBatchSigner<S> batch_signer(signer, formatter);
  if (!o.quiet && ::isatty(STDERR_FILENO)) popts.on_progress = print_progress;
  auto stats = engine::run_pipeline(**source, batch_signer, formatter, *sink, popts);
  if (!stats) {
    if (checkpoint) {
      std::fprintf(stderr, "presign: progress is saved in %s; rerun with --resume to continue\n",
                   o.checkpoint.c_str());
    }
    return fail(stats.error());
  }
  if (!o.summary.empty()) {
    if (auto r = write_summary(o.summary, *stats, o, format); !r) return fail(r.error());
  }
  if (stats->errors > 0) {
    std::fprintf(stderr, "presign: %llu of %llu objects could not be signed (listed above)\n",
                 static_cast<unsigned long long>(stats->errors),
                 static_cast<unsigned long long>(stats->objects));
    return kPartial;
  }
  return kOk;
}

}  // namespace presign::app
