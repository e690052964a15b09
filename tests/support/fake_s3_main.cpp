// fake_s3_server: the fake S3 ListObjectsV2 server (fake_s3_server.hpp) as a program with any
// mix of injected faults, for the end-to-end listing tests of the presign program
// (tests/scripts/s3_list_*.sh). Listens on 127.0.0.1 only; runs until SIGINT or SIGTERM.
//
//   fake_s3_server --keys N [--port P] [--latency-ms X] [--bucket B] [--threads T]
//                  [--key-prefix S] [--key-suffix S] [--seed S] [--max-in-row N]
//                  [--fault NAME=RATE]... [--slowdown-rate R] [--retry-after V]
//                  [--verify-sigv4] [--region R] [--tls-cert PEM --tls-key PEM]
//
// NAME is one of the identifiers printed by --help (slowdown, reset-headers, reset-body, ...);
// each request draws one fault from the seeded schedule, and a page is served correctly after
// --max-in-row faults in a row (default 4). --verify-sigv4 checks header auth against the
// credentials in FAKE_S3_ACCESS_KEY_ID / FAKE_S3_SECRET_ACCESS_KEY (the environment, so no
// secret appears in a process list).
//
// Prints "fake_s3_server listening on http://127.0.0.1:PORT/BUCKET keys=N" on stdout once it
// accepts connections, and on SIGINT/SIGTERM its counters on stdout, one "name value" a line
// (requests, pages_ok, keys_served, auth_failures, fault.<NAME> for every NAME), then exits 0.
// --slowdown-rate R is short for --fault slowdown=R; --retry-after V adds a Retry-After header
// to the 503 and 429 faults. --tls-cert/--tls-key (PEM files: the certificate chain and its
// key) make it speak HTTPS only. On SIGUSR1 it prints one line of its counters so far and
// keeps running: "snapshot requests=R pages_ok=P keys_served=K" (resume tests measure how
// much one run fetched). Also the target of bench-e2e listing runs.

#include "fake_s3_server.hpp"

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <signal.h>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace {

using presign::test::Fault;

// Stable command-line names of the faults that a listing client must survive or report.
constexpr std::pair<std::string_view, Fault> kFaults[] = {
    {"slowdown", Fault::kSlowDown503},
    {"internal-error", Fault::kInternalError500},
    {"bad-gateway", Fault::kBadGateway502},
    {"gateway-timeout", Fault::kGatewayTimeout504},
    {"too-many-requests", Fault::kTooManyRequests429},
    {"request-timeout-400", Fault::kRequestTimeout400},
    {"reset-headers", Fault::kResetMidHeaders},
    {"reset-body", Fault::kResetMidBody},
    {"truncated-body", Fault::kTruncatedBody},
    {"malformed-xml", Fault::kMalformedXml200},
    {"silent-close", Fault::kSilentClose},
    {"close-after-response", Fault::kCloseAfterResponse},
    {"chunked", Fault::kChunked},
    {"empty-page", Fault::kEmptyPageWithToken},
    {"access-denied", Fault::kAccessDenied403},
    {"no-such-bucket", Fault::kNoSuchBucket404},
};

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_snapshot = 0;

bool read_file(std::string const& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !out.empty();
}

void usage() {
  std::fprintf(stderr,
               "usage: fake_s3_server --keys N [--port P] [--latency-ms X] [--bucket B]\n"
               "                      [--threads T] [--key-prefix S] [--key-suffix S] [--seed S]\n"
               "                      [--max-in-row N] [--fault NAME=RATE]... [--slowdown-rate R]\n"
               "                      [--retry-after V] [--verify-sigv4] [--region R]\n"
               "                      [--tls-cert PEM --tls-key PEM]\n"
               "fault names:");
  for (auto const& [name, f] : kFaults)
    std::fprintf(stderr, " %.*s", static_cast<int>(name.size()), name.data());
  std::fputc('\n', stderr);
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

bool parse_fault(std::string_view spec, presign::test::FakeS3Options& opts) {
  auto const eq = spec.find('=');
  if (eq == std::string_view::npos) return false;
  std::string const rate_text(spec.substr(eq + 1));
  char* end = nullptr;
  double const rate = std::strtod(rate_text.c_str(), &end);
  if (end == rate_text.c_str() || *end != '\0' || rate < 0 || rate > 1) return false;
  for (auto const& [name, f] : kFaults) {
    if (name == spec.substr(0, eq)) {
      if (rate > 0) opts.rates.push_back({f, rate});
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  presign::test::FakeS3Options opts;
  opts.idle_timeout = std::chrono::seconds(60);
  bool have_keys = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    }
    if (a == "--verify-sigv4") {
      char const* id = std::getenv("FAKE_S3_ACCESS_KEY_ID");
      char const* secret = std::getenv("FAKE_S3_SECRET_ACCESS_KEY");
      if (id == nullptr || secret == nullptr) {
        std::fputs(
            "fake_s3_server: --verify-sigv4 needs FAKE_S3_ACCESS_KEY_ID and "
            "FAKE_S3_SECRET_ACCESS_KEY in the environment\n",
            stderr);
        return 2;
      }
      opts.verify_sigv4 = true;
      opts.access_key_id = id;
      opts.secret_access_key = secret;
      continue;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    std::string_view const v = argv[++i];
    bool ok = true;
    if (a == "--keys") {
      ok = have_keys = parse_number(v, opts.keys);
    } else if (a == "--port") {
      ok = parse_number(v, opts.port);
    } else if (a == "--latency-ms") {
      long ms = 0;
      ok = parse_number(v, ms) && ms >= 0;
      opts.latency = std::chrono::milliseconds(ms);
    } else if (a == "--bucket") {
      opts.bucket = v;
    } else if (a == "--region") {  // the region --verify-sigv4 expects ("auto": Cloud Storage)
      opts.region = v;
    } else if (a == "--threads") {
      ok = parse_number(v, opts.threads) && opts.threads >= 1 && opts.threads <= 64;
    } else if (a == "--key-prefix") {
      opts.key_prefix = v;
    } else if (a == "--key-suffix") {
      opts.key_suffix = v;
    } else if (a == "--seed") {
      ok = parse_number(v, opts.seed);
    } else if (a == "--max-in-row") {
      ok = parse_number(v, opts.max_consecutive_faults_per_page);
    } else if (a == "--fault") {
      ok = parse_fault(v, opts);
    } else if (a == "--slowdown-rate") {  // shorthand for --fault slowdown=RATE
      ok = parse_fault("slowdown=" + std::string(v), opts);
    } else if (a == "--retry-after") {  // sent with 503 and 429 faults
      opts.retry_after = std::string(v);
    } else if (a == "--tls-cert") {
      ok = read_file(std::string(v), opts.tls_cert_pem);
    } else if (a == "--tls-key") {
      ok = read_file(std::string(v), opts.tls_key_pem);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "fake_s3_server: bad option %s %s\n", argv[i - 1], argv[i]);
      usage();
      return 2;
    }
  }
  if (!have_keys || opts.tls_cert_pem.empty() != opts.tls_key_pem.empty()) {
    usage();
    return 2;
  }
  double total = 0;
  for (auto const& r : opts.rates) total += r.probability;
  if (total > 1) {
    std::fputs("fake_s3_server: the fault rates add up to more than 1\n", stderr);
    return 2;
  }

  // A flag polled below (see fake_s3_main.cpp for why not sigwait).
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction snap {};
  snap.sa_handler = [](int) { g_snapshot = 1; };
  sigemptyset(&snap.sa_mask);
  sigaction(SIGUSR1, &snap, nullptr);

  try {
    presign::test::FakeS3Server server(opts);
    std::printf("fake_s3_server listening on %s keys=%llu\n", server.bucket_url().c_str(),
                static_cast<unsigned long long>(opts.keys));
    std::fflush(stdout);
    while (g_stop == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (g_snapshot != 0) {
        g_snapshot = 0;
        auto const c = server.counters();
        std::printf("snapshot requests=%llu pages_ok=%llu keys_served=%llu\n",
                    static_cast<unsigned long long>(c.requests),
                    static_cast<unsigned long long>(c.list_pages_ok),
                    static_cast<unsigned long long>(c.keys_served));
        std::fflush(stdout);
      }
    }
    server.stop();
    auto const c = server.counters();
    auto line = [](char const* name, std::uint64_t v) {
      std::printf("%s %llu\n", name, static_cast<unsigned long long>(v));
    };
    line("requests", c.requests);
    line("connections", c.connections);
    line("pages_ok", c.list_pages_ok);
    line("keys_served", c.keys_served);
    line("auth_failures", c.auth_failures);
    line("bad_requests", c.bad_requests);
    line("faults_total", c.faults_total());
    for (auto const& [name, f] : kFaults) {
      std::printf("fault.%.*s %llu\n", static_cast<int>(name.size()), name.data(),
                  static_cast<unsigned long long>(c.of(f)));
    }
    std::fflush(stdout);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fake_s3_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
