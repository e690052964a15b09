#include "sign_command.hpp"

#include "exit_codes.hpp"
#include "presign/core/time.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/key_file_source.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/signers/aws_credentials.hpp"
#include "presign/signers/sigv4.hpp"

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace presign::app {
namespace {

struct BucketUri {
  std::string scheme;
  std::string bucket;
  std::string prefix;
};

Result<BucketUri> parse_bucket_uri(std::string const& uri) {
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

int fail(Error const& e) {
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

int run_s3(BucketUri const& uri, SignOptions const& o, io::Format format,
           std::int64_t expires_seconds, SigningTime when) {
  auto env = signers::aws::process_env();
  signers::sigv4::S3PresignConfig cfg;
  cfg.bucket = uri.bucket;
  cfg.region = signers::aws::resolve_region(env, o.region);
  cfg.endpoint = signers::aws::resolve_s3_endpoint(env, o.endpoint);
  cfg.addressing = o.addressing == "virtual" ? signers::sigv4::Addressing::kVirtual
                   : o.addressing == "path"  ? signers::sigv4::Addressing::kPath
                                             : signers::sigv4::Addressing::kAuto;
  cfg.method = o.method;
  cfg.expires_seconds = expires_seconds;
  cfg.signing_time = when;
  cfg.response_content_disposition = o.response_content_disposition;
  cfg.response_content_type = o.response_content_type;
  // Validate everything that does not need credentials first, so a usage error is reported
  // as such even on a machine without credentials.
  if (expires_seconds < 1 || expires_seconds > signers::sigv4::kS3MaxExpiresSeconds) {
    return fail(make_error(ErrorKind::kUsage,
                           "--expires " + o.expires + " is out of range: S3 presigned URLs live "
                           "1 to 604800 seconds (7 days)"));
  }
  auto creds = signers::aws::DefaultChainProvider(env).credentials();
  if (!creds) return fail(creds.error());
  cfg.credentials = std::move(*creds);
  auto signer = signers::sigv4::S3Presigner::create(std::move(cfg));
  if (!signer) return fail(signer.error());
  return run_job(*signer, signer->expires_at(), o, format);
}

}  // namespace

CLI::App* add_sign_command(CLI::App& app, SignOptions& o) {
  CLI::App* cmd = app.add_subcommand("sign", "Write a presigned URL for every object");
  cmd->footer(R"(Examples:
  presign sign s3://my-bucket --keys-from keys.txt --output urls.ndjson
  presign sign s3://my-bucket --keys-from - --format labelbox --expires 7d < keys.txt
  presign sign s3://test-bucket --keys-from keys.txt --endpoint http://127.0.0.1:4569 \
      --signing-time 2024-01-01T00:00:00Z --format csv --output urls.csv

Exit codes: 0 ok, 1 partial (some objects failed; see stderr), 2 usage,
            3 credentials/configuration, 4 local I/O, 5 listing, 10 internal.)");
  cmd->add_option("uri", o.uri, "s3://BUCKET[/PREFIX]")->required();
  cmd->add_option("--keys-from", o.keys_from,
                  "file with one object key per line ('-' = stdin); split on \\n only, nothing trimmed")
      ->required();
  cmd->add_option("--region", o.region,
                  "region (default: AWS_REGION, AWS_DEFAULT_REGION, profile region, us-east-1)");
  cmd->add_option("--endpoint", o.endpoint,
                  "custom endpoint, e.g. http://127.0.0.1:4569 (also AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL)");
  cmd->add_option("--addressing", o.addressing, "auto|virtual|path (auto: as botocore)")
      ->check(CLI::IsMember({"auto", "virtual", "path"}));
  cmd->add_option("--expires", o.expires, "lifetime: seconds or 90s/15m/12h/7d (default 3600)");
  cmd->add_option("--signing-time", o.signing_time,
                  "sign as of this RFC 3339 instant (default: now); makes output reproducible");
  cmd->add_option("--method", o.method, "GET|PUT|HEAD (default GET)")
      ->check(CLI::IsMember({"GET", "PUT", "HEAD"}));
  cmd->add_option("--response-content-disposition", o.response_content_disposition,
                  "signed Content-Disposition override");
  cmd->add_option("--response-content-type", o.response_content_type,
                  "signed Content-Type override");
  cmd->add_option("--format", o.format, "ndjson|labelbox|csv|tsv|urls (default ndjson)")
      ->check(CLI::IsMember({"ndjson", "labelbox", "csv", "tsv", "urls"}));
  cmd->add_option("--output", o.output, "output file (default stdout); written atomically, mode 0600");
  cmd->add_option("--threads", o.threads, "signing threads (default: all cores)")
      ->check(CLI::Range(1U, 1024U));
  return cmd;
}

int run_sign(SignOptions const& o) {
  auto uri = parse_bucket_uri(o.uri);
  if (!uri) return fail(uri.error());
  auto format = io::parse_format(o.format);
  if (!format) return fail(format.error());
  auto expires = parse_duration_seconds(o.expires);
  if (!expires) return fail(expires.error());
  SigningTime when;
  if (o.signing_time.empty()) {
    when = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  } else {
    auto t = parse_rfc3339(o.signing_time);
    if (!t) return fail(make_error(ErrorKind::kUsage, "--signing-time: " + t.error().detail));
    when = *t;
  }
  if (uri->scheme == "s3") return run_s3(*uri, o, *format, *expires, when);
  return fail(make_error(ErrorKind::kUsage, "unsupported scheme '" + uri->scheme +
                                                "://' (supported: s3://)"));
}

}  // namespace presign::app
