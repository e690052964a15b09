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

template <signers::Signer S>
int run_job(S const& signer, SigningTime expires_at, SignOptions const& o, io::Format format) {
  // Open the input before the output: an unreadable key file must not create an output file.
  auto source = io::KeyFileSource::open(o.keys_from);
  if (!source) return fail(source.error());
  std::unique_ptr<io::OutputSink> sink;
  if (o.output.empty() || o.output == "-") {
    sink = io::make_fd_sink(STDOUT_FILENO, "standard output");
  } else {
    auto s = io::make_atomic_file_sink(o.output);
    if (!s) return fail(s.error());
    sink = std::move(*s);
  }
  io::RecordFormatter formatter(format, format_rfc3339(expires_at));
  engine::FormattingBatchSigner<S> batch_signer(signer, formatter);
  engine::PipelineOptions popts;
  popts.threads = o.threads;
  auto stats = engine::run_pipeline(**source, batch_signer, formatter, *sink, popts);
  if (!stats) return fail(stats.error());
  if (::isatty(STDERR_FILENO)) {
    double const rate = stats->wall_seconds > 0 ? static_cast<double>(stats->objects) / stats->wall_seconds : 0;
    std::fprintf(stderr, "presign: %llu objects, %llu failed, %.2f s, %.0f URLs/s\n",
                 static_cast<unsigned long long>(stats->objects),
                 static_cast<unsigned long long>(stats->errors), stats->wall_seconds, rate);
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
