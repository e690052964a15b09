// Listing throughput (io): keys/s listed from the in-process fake S3 (tests/support, loopback,
// no added latency, SigV4 verified by the fake) through the S3 fetcher alone and through the
// ListingSource with its prefetch thread. The fake formats every page on the same 2 cores, so
// this is the client's cost plus the fake's, an upper bound on nothing but a floor for S3.
// Each benchmark first lists everything once and checks the count and the last key ("make
// sure the data is right") before timing.
//
// Results, 2026-11-23 10:05 UTC, same 2-core AMD EPYC VM, idle (load average 0.2), after the
// fake server got TCP_NODELAY (before it, the tail segment of some pages waited for the
// client's delayed ACK: page:1000/sigv4:0 took 3,056 ms per 200 k keys = 65 k keys/s, the
// "load noise" noted below), medians of 3:
//   taskset -c 0,1 build/bench/listing_bench --benchmark_min_time=2 --benchmark_repetitions=3
//   BM_ListingSource_FakeS3/page:1000/sigv4:1   513 k keys/s   (390 ms per 200 k keys)
//   BM_ListingSource_FakeS3/page:100/sigv4:1    264 k keys/s
//   BM_ListingSource_FakeS3/page:1000/sigv4:0   443 k keys/s
//   BM_ListingSource_FakeS3/page:100/sigv4:0    292 k keys/s
//   BM_S3Fetcher_FakeS3 (page 1000, no prefetch) 561 k keys/s
//
// Earlier results: 2-core sandbox shared with other builds (load average 3.4, so noisy), Release,
// 200,000 keys per iteration, medians of 3 repetitions:
//   cmake -S . -B build-a1 -DCMAKE_BUILD_TYPE=Release -DPRESIGN_BUILD_BENCH=ON
//   cmake --build build-a1 --target listing_bench
//   build-a1/bench/listing_bench --benchmark_min_time=2 --benchmark_repetitions=3
//   BM_ListingSource_FakeS3/page:1000/sigv4:1   552 k keys/s   (362 ms per 200 k keys)
//   BM_ListingSource_FakeS3/page:100/sigv4:1    389 k keys/s
//   BM_ListingSource_FakeS3/page:1000/sigv4:0   298 k keys/s   (same code; load noise)
//   BM_ListingSource_FakeS3/page:100/sigv4:0    378 k keys/s
//   BM_S3Fetcher_FakeS3 (page 1000, no prefetch) 356 k keys/s
// CPU time on the benchmark thread is ~22 ms per 200 k keys: the wall time is the fake
// formatting pages and the loopback round trips, not the client.
#include "presign/io/listing.hpp"
#include "presign/io/s3_lister.hpp"

#include "fake_s3_server.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

using namespace presign;

namespace {

constexpr std::uint64_t kKeys = 200'000;

test::FakeS3Server& server(bool verify) {
  auto make = [](bool v) {
    test::FakeS3Options o;
    o.keys = kKeys;
    o.threads = 1;
    o.verify_sigv4 = v;
    o.access_key_id = "AKIDBENCH";
    o.secret_access_key = "bench-secret";
    o.region = "us-east-1";
    return o;
  };
  static test::FakeS3Server verified(make(true));
  static test::FakeS3Server plain(make(false));
  return verify ? verified : plain;
}

std::unique_ptr<io::PageFetcher> fetcher(test::FakeS3Server& s) {
  io::S3ListerConfig c;
  c.bucket = "bucket";
  c.endpoint = s.endpoint();
  c.credentials = {"AKIDBENCH", "bench-secret", ""};
  auto f = io::make_s3_page_fetcher(c);
  if (!f) throw std::runtime_error(f.error().detail);
  return std::move(*f);
}

// The whole listing through ListingSource; returns the keys seen and the last one.
std::uint64_t list_all(test::FakeS3Server& s, std::uint32_t page, std::string* last) {
  io::ListingOptions o;
  o.page_size = page;
  auto source = io::make_listing_source(fetcher(s), o);
  io::Batch batch;
  std::uint64_t n = 0;
  for (;;) {
    auto more = source->next(batch);
    if (!more) throw std::runtime_error(more.error().detail);
    if (!*more) break;
    n += batch.objects.size();
    if (last) *last = std::string(batch.objects.back().key);
  }
  return n;
}

void check(test::FakeS3Server& s, std::uint32_t page) {
  std::string last;
  if (list_all(s, page, &last) != kKeys || last != s.key(kKeys - 1)) {
    throw std::runtime_error("the listing is wrong: " + std::to_string(kKeys) + " keys expected");
  }
}

void BM_ListingSource_FakeS3(benchmark::State& state) {
  bool const verify = state.range(1) != 0;
  auto& s = server(verify);
  auto const page = static_cast<std::uint32_t>(state.range(0));
  check(s, page);
  std::uint64_t keys = 0;
  for (auto _ : state) keys += list_all(s, page, nullptr);
  state.counters["keys/s"] =
      benchmark::Counter(static_cast<double>(keys), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ListingSource_FakeS3)
    ->ArgsProduct({{1000, 100}, {1, 0}})
    ->ArgNames({"page", "sigv4"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The fetcher alone on the calling thread (no prefetch, no guards): the cost of one page.
void BM_S3Fetcher_FakeS3(benchmark::State& state) {
  auto& s = server(true);
  auto f = fetcher(s);
  io::ListPage page;
  std::string keys_buf;
  std::uint64_t keys = 0;
  for (auto _ : state) {
    io::ListRequest req;
    req.page_size = 1000;
    for (;;) {
      keys_buf.clear();
      if (auto r = f->fetch(req, page, keys_buf); !r) {
        state.SkipWithError(r.error().detail.c_str());
        return;
      }
      keys += page.objects.size();
      if (!page.truncated) break;
      req.token = page.next_token;
    }
  }
  state.counters["keys/s"] =
      benchmark::Counter(static_cast<double>(keys), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_S3Fetcher_FakeS3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
