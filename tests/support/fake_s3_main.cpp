// fake_s3_server: the fake S3 ListObjectsV2 server as a program, for benchmarks and manual
// runs of the listers. Listens on 127.0.0.1 only and runs until SIGINT or SIGTERM.
//
//   fake_s3_server --keys 1000000 --port 9000 [--latency-ms 20] [--bucket b] [--threads 2]
//                  [--key-prefix obj/] [--key-suffix S] [--slowdown-rate 0.1] [--seed 1]
//                  [--retry-after 1]
//
// Prints one line "fake_s3_server listening on http://127.0.0.1:PORT/BUCKET keys=N" on
// stdout once it accepts connections (scripts wait for it), and its counters on stderr when
// stopped by SIGINT/SIGTERM (exit status 0).

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <thread>

#include "fake_s3_server.hpp"
#include <signal.h>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void usage() {
  std::fprintf(stderr,
               "usage: fake_s3_server --keys N [--port P] [--latency-ms X] [--bucket B]\n"
               "                      [--threads T] [--key-prefix S] [--key-suffix S]\n"
               "                      [--slowdown-rate R] [--seed S] [--retry-after V]\n");
}

template <class T>
bool parse_number(char const* text, T& out) {
  std::string_view const s(text);
  auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
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
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    char const* v = argv[++i];
    bool ok = true;
    if (a == "--keys") {
      ok = parse_number(v, opts.keys);
      have_keys = ok;
    } else if (a == "--port") {
      ok = parse_number(v, opts.port);
    } else if (a == "--latency-ms") {
      long ms = 0;
      ok = parse_number(v, ms) && ms >= 0;
      opts.latency = std::chrono::milliseconds(ms);
    } else if (a == "--bucket") {
      opts.bucket = v;
    } else if (a == "--threads") {
      ok = parse_number(v, opts.threads) && opts.threads >= 1 && opts.threads <= 64;
    } else if (a == "--key-prefix") {
      opts.key_prefix = v;
    } else if (a == "--key-suffix") {
      opts.key_suffix = v;
    } else if (a == "--slowdown-rate") {
      char* end = nullptr;
      double const r = std::strtod(v, &end);
      ok = end != v && *end == '\0' && r >= 0 && r <= 1;
      if (ok && r > 0) opts.rates.push_back({presign::test::Fault::kSlowDown503, r});
    } else if (a == "--seed") {
      ok = parse_number(v, opts.seed);
    } else if (a == "--retry-after") {
      opts.retry_after = v;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "fake_s3_server: bad option %s %s\n", argv[i - 1], v);
      usage();
      return 2;
    }
  }
  if (!have_keys) {
    usage();
    return 2;
  }

  // A flag set by the handler, polled below. (Not sigwait: sanitizer runtimes start threads
  // before main that would not block the signal, and the default action would kill us
  // before the counters are printed.)
  struct sigaction sa {};

  sa.sa_handler = [](int) { g_stop = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  try {
    presign::test::FakeS3Server server(opts);
    std::printf("fake_s3_server listening on %s keys=%llu\n", server.bucket_url().c_str(),
                static_cast<unsigned long long>(opts.keys));
    std::fflush(stdout);
    while (g_stop == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.stop();
    auto const c = server.counters();
    std::fprintf(stderr,
                 "fake_s3_server: connections=%llu requests=%llu pages=%llu keys=%llu "
                 "faults=%llu\n",
                 static_cast<unsigned long long>(c.connections),
                 static_cast<unsigned long long>(c.requests),
                 static_cast<unsigned long long>(c.list_pages_ok),
                 static_cast<unsigned long long>(c.keys_served),
                 static_cast<unsigned long long>(c.faults_total()));
  } catch (std::exception const& e) {
    std::fprintf(stderr, "fake_s3_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
