#include "bench_command.hpp"

#include "exit_codes.hpp"
#include "presign/engine/pipeline.hpp"
#include "presign/io/output_file.hpp"
#include "presign/io/record_format.hpp"
#include "presign/io/synthetic_source.hpp"
#include "presign/signers/azure_sas.hpp"
#include "presign/signers/gcs_v4.hpp"
#include "presign/signers/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace presign::app {
namespace {

struct BenchResult {
  unsigned threads = 0;
  double wall = 0;
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
  std::uint64_t p50 = 0, p99 = 0, p999 = 0;
  std::uint64_t peak_rss = 0;
  bool ok = false;
  std::string error;
};

Result<std::vector<unsigned>> parse_threads(std::string const& spec) {
  std::vector<unsigned> out;
  unsigned const cores = std::max(1U, std::thread::hardware_concurrency());
  if (spec == "auto") {
    for (unsigned t = 1; t < cores; t *= 2) out.push_back(t);
    out.push_back(cores);
    return out;
  }
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v == 0 || v > 1024) {
      return make_error(ErrorKind::kUsage,
                        "--threads takes a list like 1,2,4 or 'auto', not '" + spec + "'");
    }
    out.push_back(static_cast<unsigned>(v));
  }
  if (out.empty()) return make_error(ErrorKind::kUsage, "--threads list is empty");
  return out;
}

// Runs one configuration in this process; the caller forks first so that peak RSS and
// thread pools are per configuration.
template <signers::Signer S>
BenchResult run_one(S const& signer, SigningTime expires_at, BenchOptions const& o,
                    io::Format format, unsigned threads) {
  BenchResult r;
  r.threads = threads;
  io::SyntheticSource source(o.objects);
  std::unique_ptr<io::OutputSink> sink;
  if (o.output == "null") {
    sink = io::make_null_sink();
  } else {
    auto s = io::make_atomic_file_sink(o.output);
    if (!s) {
      r.error = s.error().detail;
      return r;
    }
    sink = std::move(*s);
  }
  io::RecordFormatter formatter(format, format_rfc3339(expires_at));
  engine::FormattingBatchSigner<S> batch_signer(signer, formatter);
  engine::PipelineOptions popts;
  popts.threads = threads;
  popts.on_object_errors = [](std::string_view) {};
  auto stats = engine::run_pipeline(source, batch_signer, formatter, *sink, popts);
  if (!stats) {
    r.error = stats.error().detail;
    return r;
  }
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  r.ok = true;
  r.wall = stats->wall_seconds;
  r.objects = stats->objects;
  r.bytes = stats->bytes;
  r.p50 = stats->latency.quantile(0.5);
  r.p99 = stats->latency.quantile(0.99);
  r.p999 = stats->latency.quantile(0.999);
  r.peak_rss = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  return r;
}

// Fixed, public test credentials: a benchmark never needs real ones.
constexpr SigningTime kBenchTime{std::chrono::seconds{1704067200}};  // 2024-01-01T00:00:00Z

Result<signers::sigv4::S3Presigner> bench_s3_signer() {
  signers::sigv4::S3PresignConfig cfg;
  cfg.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  cfg.bucket = "bench-bucket";
  cfg.signing_time = kBenchTime;
  return signers::sigv4::S3Presigner::create(cfg);
}

// A throw-away RSA-2048 key, made in the child: no key file is needed to measure RSA signing.
Result<signers::gcs::ServiceAccountKey> bench_rsa_key() {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  if (pkey == nullptr)
    return make_error(ErrorKind::kInternal, "cannot generate an RSA key for the benchmark");
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio != nullptr &&
      PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    long const n = BIO_get_mem_data(bio, &data);
    if (n > 0) pem.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  if (pem.empty()) return make_error(ErrorKind::kInternal, "cannot encode the benchmark RSA key");
  return signers::gcs::ServiceAccountKey::from_pem("bench@presign-bench.iam.gserviceaccount.com",
                                                   pem, "benchmark key");
}

Result<signers::gcs::GcsPresigner> bench_gcs_signer(bool rsa) {
  signers::gcs::GcsPresignConfig cfg;
  if (rsa) {
    auto key = bench_rsa_key();
    if (!key) return key.error();
    cfg.credentials = std::move(*key);
  } else {
    cfg.credentials = signers::gcs::HmacKey{"GOOG1EXAMPLEBENCHACCESSID",
                                            "bench/Secret+Example0123456789abcdefghij"};
  }
  cfg.bucket = "bench-bucket";
  cfg.signing_time = kBenchTime;
  return signers::gcs::GcsPresigner::create(std::move(cfg));
}

Result<signers::azure::AzureSasSigner> bench_azure_signer() {
  signers::azure::AzureSasConfig cfg;
  cfg.account = "benchaccount";
  // Azurite's published development key: public, and a valid base64 account key.
  cfg.account_key =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  cfg.container = "bench-container";
  cfg.expiry = kBenchTime + std::chrono::hours(1);
  return signers::azure::AzureSasSigner::create(std::move(cfg));
}

// Builds the provider's signer in the child and runs one configuration.
BenchResult run_provider(BenchOptions const& o, io::Format format, unsigned threads) {
  BenchResult c;
  auto run = [&](auto signer, SigningTime expires_at) {
    if (!signer) {
      c.error = signer.error().detail;
      return;
    }
    c = run_one(*signer, expires_at, o, format, threads);
  };
  if (o.provider == "s3") {
    auto s = bench_s3_signer();
    SigningTime const at = s ? s->expires_at() : kBenchTime;
    run(std::move(s), at);
  } else if (o.provider == "gcs" || o.provider == "gcs-rsa") {
    auto s = bench_gcs_signer(o.provider == "gcs-rsa");
    SigningTime const at = s ? s->expires_at() : kBenchTime;
    run(std::move(s), at);
  } else {
    run(bench_azure_signer(), kBenchTime + std::chrono::hours(1));
  }
  return c;
}

BenchResult run_in_child(BenchOptions const& o, io::Format format, unsigned threads) {
  int fds[2];
  BenchResult r;
  r.threads = threads;
  if (::pipe(fds) != 0) {
    r.error = "pipe failed";
    return r;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    BenchResult c = run_provider(o, format, threads);
    char line[512];
    int n = std::snprintf(
        line, sizeof line, "%d %.9f %llu %llu %llu %llu %llu %llu %s\n", c.ok ? 1 : 0, c.wall,
        static_cast<unsigned long long>(c.objects), static_cast<unsigned long long>(c.bytes),
        static_cast<unsigned long long>(c.p50), static_cast<unsigned long long>(c.p99),
        static_cast<unsigned long long>(c.p999), static_cast<unsigned long long>(c.peak_rss),
        c.error.c_str());
    if (n > 0) (void)!::write(fds[1], line, static_cast<std::size_t>(n));
    ::_exit(c.ok ? 0 : 1);
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  int ok = 0;
  unsigned long long objects = 0, bytes = 0, p50 = 0, p99 = 0, p999 = 0, rss = 0;
  char err[256] = "";
  if (std::sscanf(text.c_str(), "%d %lf %llu %llu %llu %llu %llu %llu %255[^\n]", &ok, &r.wall,
                  &objects, &bytes, &p50, &p99, &p999, &rss, err) < 8) {
    r.error = "benchmark child failed";
    return r;
  }
  r.ok = ok == 1;
  r.objects = objects;
  r.bytes = bytes;
  r.p50 = p50;
  r.p99 = p99;
  r.p999 = p999;
  r.peak_rss = rss;
  r.error = err;
  return r;
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("bench", "Run the whole pipeline over synthetic keys and tune threads");
  cmd->footer(R"(Examples:
  presign bench                          # s3, 2 M objects, threads 1..cores, output discarded
  presign bench --threads 1,2 --objects 10000000 --output /tmp/bench.ndjson
  presign bench --provider azure --threads 1,2
  presign bench --provider gcs-rsa --objects 20000  # RSA: thousands, not millions, per second
  presign bench --json > bench.json)");
  cmd->add_option(
         "--provider", o.provider,
         "s3, gcs (HMAC key), gcs-rsa (service-account key: one RSA-2048 signature per URL) "
         "or azure (default s3)")
      ->check(CLI::IsMember({"s3", "gcs", "gcs-rsa", "azure"}));
  cmd->add_option("--objects", o.objects, "synthetic objects per run (default 2,000,000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000'000}));
  cmd->add_option("--threads", o.threads,
                  "thread counts to try: 1,2,4 or auto (1, 2, 4, ... cores)");
  cmd->add_option("--format", o.format, "ndjson|labelbox|csv|tsv|urls")
      ->check(CLI::IsMember({"ndjson", "labelbox", "csv", "tsv", "urls"}));
  cmd->add_option("--output", o.output,
                  "a file to write (atomically, each run), or null (default)");
  cmd->add_flag("--json", o.json, "print results as JSON");
  return cmd;
}

int run_bench(BenchOptions const& o) {
  auto threads = parse_threads(o.threads);
  if (!threads) {
    std::fprintf(stderr, "presign: %s\n", threads.error().detail.c_str());
    return kUsage;
  }
  auto format = io::parse_format(o.format);
  if (!format) {
    std::fprintf(stderr, "presign: %s\n", format.error().detail.c_str());
    return kUsage;
  }
  std::vector<BenchResult> results;
  for (unsigned t : *threads) {
    results.push_back(run_in_child(o, *format, t));
    if (!results.back().ok) {
      std::fprintf(stderr, "presign: bench with %u threads failed: %s\n", t,
                   results.back().error.c_str());
      return kIo;
    }
  }
  double best = 0;
  for (auto const& r : results) best = std::max(best, static_cast<double>(r.objects) / r.wall);
  unsigned recommended = results.back().threads;
  for (auto const& r : results) {
    if (static_cast<double>(r.objects) / r.wall >= 0.95 * best) {
      recommended = r.threads;
      break;
    }
  }
  if (o.json) {
    std::printf("{\"provider\":\"%s\",\"objects\":%llu,\"format\":\"%s\",\"runs\":[",
                o.provider.c_str(), static_cast<unsigned long long>(o.objects), o.format.c_str());
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto const& r = results[i];
      std::printf(
          "%s{\"threads\":%u,\"urls_per_second\":%.0f,\"mb_per_second\":%.1f,\"p50_ns\":%llu,"
          "\"p99_ns\":%llu,\"p999_ns\":%llu,\"peak_rss_bytes\":%llu}",
          i ? "," : "", r.threads, static_cast<double>(r.objects) / r.wall,
          static_cast<double>(r.bytes) / r.wall / 1e6, static_cast<unsigned long long>(r.p50),
          static_cast<unsigned long long>(r.p99), static_cast<unsigned long long>(r.p999),
          static_cast<unsigned long long>(r.peak_rss));
    }
    std::printf("],\"recommended_threads\":%u}\n", recommended);
    return kOk;
  }
  std::printf("provider %s, %llu objects, format %s, output %s\n", o.provider.c_str(),
              static_cast<unsigned long long>(o.objects), o.format.c_str(), o.output.c_str());
  std::printf("%8s %14s %10s %12s %12s %12s %12s\n", "threads", "URLs/s", "MB/s", "p50", "p99",
              "p99.9", "peak RSS");
  for (auto const& r : results) {
    std::printf("%8u %14.0f %10.1f %10.2fms %10.2fms %10.2fms %10.1fMiB\n", r.threads,
                static_cast<double>(r.objects) / r.wall,
                static_cast<double>(r.bytes) / r.wall / 1e6, static_cast<double>(r.p50) / 1e6,
                static_cast<double>(r.p99) / 1e6, static_cast<double>(r.p999) / 1e6,
                static_cast<double>(r.peak_rss) / 1048576.0);
  }
  std::printf("recommended threads: %u (fewest within 5%% of the best rate)\n", recommended);
  return kOk;
}

}  // namespace presign::app
