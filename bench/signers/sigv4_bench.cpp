// SigV4 S3 presigning: S3Presigner::sign and S3Presigner::sign_group (multi-buffer) against a
// naive SDK-style loop, and the key encoder.
//
// Redesign before/after (issue #14), 2026-12-05 09:02-09:15 UTC, the same 2-core AMD EPYC
// (Zen 5) VM, Debian 12, both builds Release g++ 12 from one run, suite by suite alternately,
// pinned to CPU 1: `scripts/bench-compare.sh 63e1b00` (base 63e1b00, before the signer split
// and the worker-indexed scratch; new fd506c1), run twice (REPS=3, REPS=5). The same binary
// moved up to ±10 % between runs on this shared VM, so only larger moves count; none did.
//   CPU ns per call, base -> new (run 1; run 2):
//   BM_SigV4_Sign/key_bytes:40                  396 -> 425;  420 -> 481
//   BM_SigV4_SignGroup/auto/key_bytes:40        2630 -> 3019; 3109 -> 3480   (16 URLs a call)
//   BM_SigV4_SignGroup/avx512/key_bytes:40      2647 -> 3088; 3344 -> 3251
//   BM_SigV4_SignGroup/sha_ni_x2/key_bytes:40   4120 -> 3692; 4294 -> 4860
// The first two looked slower, so they were rerun in three close base/new pairs
// (--benchmark_min_time=0.5, medians of 3): Sign 486/482, 455/444, 432/461 ns; SignGroup/auto
// 3530/3214, 3377/3007, 3200/3321 ns: no difference beyond the noise.
//
// Results, 2026-11-23 05:48 UTC, 2-core AMD EPYC (Zen 5: SHA-NI, AVX-512F/BW/VL) VM, Debian 12,
// g++ 12 -O3 (Release), libbenchmark 1.7.1, one core (load average 2.2-3.1 from other jobs
// during the run; CPU time is the figure). Medians of 5, cv < 1.2 % on CPU time:
//   taskset -c 0 build-c/bench/sigv4_bench --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true --benchmark_min_time=0.3
//     --benchmark_filter='BM_SigV4_Sign(Group)?/(.*/)?key_bytes:(40|64|1024)$'   (one line)
//                                          CPU per URL   URLs/s/core
//   BM_SigV4_Sign/key_bytes:40                  413 ns      2.42 M
//   BM_SigV4_SignGroup/auto/key_bytes:40        219 ns      4.58 M   (AVX-512 for 16 lanes)
//   BM_SigV4_SignGroup/avx512/key_bytes:40      218 ns      4.58 M
//   BM_SigV4_SignGroup/sha_ni_x2/key_bytes:40   241 ns      4.16 M
//   BM_SigV4_SignGroup/sha_ni/key_bytes:40      323 ns      3.10 M
//   BM_SigV4_SignGroup/portable/key_bytes:40   1704 ns      0.59 M
//   BM_SigV4_Sign/key_bytes:64                  476 ns      2.10 M
//   BM_SigV4_SignGroup/auto/key_bytes:64        254 ns      3.93 M   (6-block canonical request)
//   BM_SigV4_SignGroup/sha_ni_x2/key_bytes:64   274 ns      3.65 M
//   BM_SigV4_Sign/key_bytes:1024               1598 ns      0.63 M
//   BM_SigV4_SignGroup/auto/key_bytes:1024     1148 ns      0.87 M
// A perf profile of SignGroup/avx512/key_bytes:40 (before reusing the suffix left in place, which
// saved ~3 %): 74 % in the two AVX-512 kernels (~165 ns for 8 blocks), 9 % uri_encode, 8 %
// memcpy (the 244-byte canonical suffix per lane, the URL pieces), 2 % sign_group itself.
// Earlier results (same machine, load ~4), one URL per call:
//   BM_SigV4_Naive/key_bytes:40  10678 ns CPU   93.7 k URLs/s   (SDK-style loop: 25x slower)
//   BM_SigV4_Naive/key_bytes:64  10862 ns CPU   92.1 k URLs/s
//
// What is measured (one URL per iteration, items/s = URLs/s, bytes/s = URL bytes out):
//   BM_SigV4_Sign/key_bytes:N   S3Presigner::sign of one N-byte key into a reused string:
//                               the engine's hot path without formatting and I/O.
//   BM_SigV4_Naive/key_bytes:N  the same URL built the way an SDK loop does it: std::string
//                               operator+ everywhere, the signing key derived per URL with four
//                               one-shot OpenSSL HMAC() calls, SHA256(), snprintf hex.
//   BM_SigV4_SignGroup/P/key_bytes:N  groups of 16 N-byte keys: one sign_group, then the 16
//                               URLs appended into a reused string (FormattingBatchSigner's
//                               work without the record formatting); items/s = URLs/s. P is
//                               the multi-buffer path forced with sha256_multi_force, or auto.
//   BM_UriEncode_Key/key_bytes:N/escaped:E  uri_encode(key, keep_slash) alone; E=1 puts a byte
//                               that must be escaped (space, parentheses, comma) at every 4th
//                               position outside '/', as camera-roll and office file names do.
// Keys: 4,096 distinct keys of exactly N bytes shaped like `datasets/images/2024/shard-0...jpg`
// (40 bytes is the realistic case: 5 SHA-256 blocks for the canonical request).
// Before timing, every benchmark checks its output: the AWS documentation vector, and the
// first keys of its own key set against the other implementation (simdjson: "make sure the
// data is right!"); SignGroup also compares 64 group-signed URLs with sign() on its path. A
// mismatch is reported with state.SkipWithError.
#include "presign/core/time.hpp"
#include "presign/signers/sha256_multi.hpp"
#include "presign/signers/sigv4.hpp"
#include "presign/signers/uri.hpp"
#include "support/sign_harness.hpp"

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sigv4 = presign::signers::sigv4;
using presign::ObjectRef;
using presign::SignError;
using presign::bench::KeySet;
using presign::bench::kKeys;
using presign::bench::make_keys;
using presign::bench::sign_one;

// ---- The AWS documentation vector -------------------------------------------------------
// S3 API reference, "Authenticating Requests: Using Query Parameters (AWS Signature Version
// 4)": GET examplebucket/test.txt at 20130524T000000Z, expiring after 86400 s.

constexpr std::string_view kDocsKey = "test.txt";
constexpr std::string_view kDocsSignature =
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
constexpr char const* kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr char const* kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

sigv4::S3PresignConfig docs_config() {
  sigv4::S3PresignConfig c;
  c.credentials = {kAccessKey, kSecretKey, ""};
  c.region = "us-east-1";
  c.bucket = "examplebucket";
  c.expires_seconds = 86400;
  c.signing_time = presign::parse_rfc3339("2013-05-24T00:00:00Z").value();
  return c;
}

// The configuration scripts/bench-e2e.sh signs with, so micro and end-to-end figures compare.
sigv4::S3PresignConfig bench_config() {
  sigv4::S3PresignConfig c;
  c.credentials = {kAccessKey, kSecretKey, ""};
  c.region = "us-east-1";
  c.bucket = "bench-bucket";
  c.expires_seconds = 3600;
  c.signing_time = presign::parse_rfc3339("2024-01-01T00:00:00Z").value();
  return c;
}

// ---- The naive baseline ---------------------------------------------------------------------
// What a straightforward SDK-style loop does for every URL: build every string with
// operator+, derive the signing key again (four HMACs), hash and MAC with OpenSSL's one-shot
// functions. The HMAC() result is checked (an empty string on failure), unlike the Azure SDK.

std::string naive_uri_encode(std::string const& in, bool keep_slash) {
  std::string out;
  for (char ch : in) {
    auto const c = static_cast<unsigned char>(ch);
    bool const plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (plain) {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}

std::string naive_hex(std::string const& bytes) {
  std::string out;
  for (char b : bytes) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<unsigned char>(b)));
    out += buf;
  }
  return out;
}

std::string naive_hmac(std::string const& key, std::string const& msg) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<unsigned char const*>(msg.data()), msg.size(), md, &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<char const*>(md), len);
}

std::string naive_sha256(std::string const& msg) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<unsigned char const*>(msg.data()), msg.size(), md);
  return std::string(reinterpret_cast<char const*>(md), sizeof md);
}

struct NaiveParams {
  std::string access_key, secret_key, region, bucket, amz_date;
  std::int64_t expires = 0;
};

NaiveParams naive_params(sigv4::S3PresignConfig const& c) {
  char iso[17];
  char day[9];
  presign::format_amz_date(c.signing_time, iso, day);
  return {c.credentials.access_key_id,
          c.credentials.secret_access_key,
          c.region,
          c.bucket,
          std::string(iso, 16),
          c.expires_seconds};
}

// Virtual-hosted GET URL on s3.amazonaws.com (what botocore emits for a DNS-compatible bucket).
std::string naive_presign(NaiveParams const& p, std::string const& key) {
  std::string const day = p.amz_date.substr(0, 8);
  std::string const scope = day + "/" + p.region + "/s3/aws4_request";
  std::string const host = p.bucket + ".s3.amazonaws.com";
  std::string const query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
      naive_uri_encode(p.access_key + "/" + scope, false) + "&X-Amz-Date=" + p.amz_date +
      "&X-Amz-Expires=" + std::to_string(p.expires) + "&X-Amz-SignedHeaders=host";
  std::string const path = "/" + naive_uri_encode(key, true);
  std::string const canonical_request = "GET\n" + path + "\n" + query + "\n" + "host:" + host +
                                        "\n" + "\n" + "host" + "\n" + "UNSIGNED-PAYLOAD";
  std::string const string_to_sign = "AWS4-HMAC-SHA256\n" + p.amz_date + "\n" + scope + "\n" +
                                     naive_hex(naive_sha256(canonical_request));
  std::string const k_date = naive_hmac("AWS4" + p.secret_key, day);
  std::string const k_region = naive_hmac(k_date, p.region);
  std::string const k_service = naive_hmac(k_region, "s3");
  std::string const k_signing = naive_hmac(k_service, "aws4_request");
  std::string const signature = naive_hex(naive_hmac(k_signing, string_to_sign));
  return "https://" + host + path + "?" + query + "&X-Amz-Signature=" + signature;
}

// ---- Checks before timing ---------------------------------------------------------------

std::optional<sigv4::S3Presigner> make_presigner(sigv4::S3PresignConfig config) {
  return presign::bench::make_signer<sigv4::S3Presigner>(std::move(config));
}

bool ends_with_signature(std::string const& url, std::string_view sig) {
  return url.ends_with(std::string("&X-Amz-Signature=") + std::string(sig));
}

// The documentation vector through both implementations, then the first keys of `keys`
// through both: nullptr when all agree, else what went wrong.
char const* check_urls(KeySet const& keys) {
  auto docs = make_presigner(docs_config());
  if (!docs) return "S3Presigner::create failed for the AWS docs vector";
  if (!ends_with_signature(sign_one(*docs, kDocsKey), kDocsSignature)) {
    return "S3Presigner: AWS docs vector signature mismatch";
  }
  if (!ends_with_signature(naive_presign(naive_params(docs_config()), std::string(kDocsKey)),
                           kDocsSignature)) {
    return "naive baseline: AWS docs vector signature mismatch";
  }
  auto bench = make_presigner(bench_config());
  if (!bench) return "S3Presigner::create failed for the bench configuration";
  NaiveParams const params = naive_params(bench_config());
  for (std::size_t i = 0; i < 64; ++i) {
    std::string const fast = sign_one(*bench, keys.keys[i]);
    if (fast.empty() || fast != naive_presign(params, std::string(keys.keys[i]))) {
      return "S3Presigner and the naive baseline disagree on a bench key";
    }
  }
  return nullptr;
}

// ---- Benchmarks -------------------------------------------------------------------------

void BM_SigV4_Sign(benchmark::State& state) {
  KeySet const ks = make_keys(static_cast<std::size_t>(state.range(0)), false);
  if (char const* why = check_urls(ks)) {
    state.SkipWithError(why);
    return;
  }
  auto const signer = make_presigner(bench_config());
  presign::bench::time_sign(state, *signer, ks);
}
BENCHMARK(BM_SigV4_Sign)->ArgName("key_bytes")->Arg(16)->Arg(40)->Arg(64)->Arg(256)->Arg(1024);

// ---- The group (multi-buffer) path -------------------------------------------------------

// kAuto: no path forced, the run-time choice (AVX-512 for full groups on this machine).
constexpr int kAuto = -1;

// The first 64 keys of `keys` through sign_group (groups of 16) and through sign(): nullptr
// when every URL is the same, else what went wrong.
char const* check_group_urls(sigv4::S3Presigner const& signer, KeySet const& keys) {
  sigv4::S3Presigner::Scratch scratch;
  std::vector<ObjectRef> objects;
  for (std::size_t i = 0; i < 64; ++i) objects.push_back(ObjectRef{keys.keys[i], {}});
  for (std::size_t i = 0; i < objects.size(); i += 16) {
    SignError errors[presign::signers::kMaxSignGroup];
    std::span<ObjectRef const> const group = std::span<ObjectRef const>(objects).subspan(i, 16);
    if (signer.sign_group(group, scratch, errors) != 16) return "sign_group took too few objects";
    for (std::size_t k = 0; k < 16; ++k) {
      std::string url;
      signer.append_group_url(scratch, k, url);
      if (errors[k] != SignError::kOk || url.empty() || url != sign_one(signer, group[k].key)) {
        return "sign_group and sign disagree on a bench key";
      }
    }
  }
  return nullptr;
}

// Groups of 16 keys: one sign_group, then the 16 URLs appended into a reused string, as
// FormattingBatchSigner does (without the record formatting). Items = URLs.
void BM_SigV4_SignGroup(benchmark::State& state, int path) {
  namespace crypto = presign::signers::crypto;
  if (path != kAuto && !crypto::sha256_multi_force(static_cast<crypto::Sha256MultiPath>(path))) {
    state.SkipWithError("this CPU lacks the path");
    return;
  }
  KeySet const ks = make_keys(static_cast<std::size_t>(state.range(0)), false);
  auto const docs = make_presigner(docs_config());
  auto const signer = make_presigner(bench_config());
  char const* why = check_urls(ks);
  if (why == nullptr) why = check_group_urls(*docs, make_keys(16, false));
  if (why == nullptr) why = check_group_urls(*signer, ks);
  if (why != nullptr) {
    crypto::sha256_multi_unforce();
    state.SkipWithError(why);
    return;
  }
  std::vector<ObjectRef> objects;
  for (std::string_view k : ks.keys) objects.push_back(ObjectRef{k, {}});
  sigv4::S3Presigner::Scratch scratch;
  std::string out;
  out.reserve(16 * 8192);
  SignError errors[presign::signers::kMaxSignGroup];
  std::size_t i = 0;
  std::uint64_t bytes = 0;
  std::uint64_t failures = 0;
  for (auto _ : state) {
    out.clear();
    std::size_t const n =
        signer->sign_group(std::span<ObjectRef const>(objects).subspan(i, 16), scratch, errors);
    for (std::size_t k = 0; k < n; ++k) {
      failures += errors[k] != SignError::kOk;
      signer->append_group_url(scratch, k, out);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    bytes += out.size();
    i = (i + 16) & (kKeys - 1);
  }
  crypto::sha256_multi_unforce();
  if (failures != 0) state.SkipWithError("sign_group() failed during the timed loop");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 16));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
#define PRESIGN_GROUP_BENCH(name, path)             \
  BENCHMARK_CAPTURE(BM_SigV4_SignGroup, name, path) \
      ->ArgName("key_bytes")                        \
      ->Arg(16)                                     \
      ->Arg(40)                                     \
      ->Arg(64)                                     \
      ->Arg(256)                                    \
      ->Arg(1024)
using presign::signers::crypto::Sha256MultiPath;
PRESIGN_GROUP_BENCH(auto, kAuto);
PRESIGN_GROUP_BENCH(avx512, static_cast<int>(Sha256MultiPath::kAvx512));
PRESIGN_GROUP_BENCH(sha_ni_x2, static_cast<int>(Sha256MultiPath::kShaNi2));
PRESIGN_GROUP_BENCH(sha_ni, static_cast<int>(Sha256MultiPath::kShaNi));
PRESIGN_GROUP_BENCH(portable, static_cast<int>(Sha256MultiPath::kPortable));

void BM_SigV4_Naive(benchmark::State& state) {
  KeySet const ks = make_keys(static_cast<std::size_t>(state.range(0)), false);
  if (char const* why = check_urls(ks)) {
    state.SkipWithError(why);
    return;
  }
  NaiveParams const params = naive_params(bench_config());
  presign::bench::time_naive(state, ks,
                             [&](std::string const& key) { return naive_presign(params, key); });
}
BENCHMARK(BM_SigV4_Naive)->ArgName("key_bytes")->Arg(16)->Arg(40)->Arg(64)->Arg(256)->Arg(1024);

void BM_UriEncode_Key(benchmark::State& state) {
  KeySet const ks = make_keys(static_cast<std::size_t>(state.range(0)), state.range(1) != 0);
  std::array<char, 3 * presign::signers::kMaxKeyBytes> buf{};
  for (std::string_view key : ks.keys) {
    std::size_t const n = presign::signers::uri_encode(key, buf.data(), true);
    if (std::string_view(buf.data(), n) != naive_uri_encode(std::string(key), true)) {
      state.SkipWithError("uri_encode disagrees with the naive encoder");
      return;
    }
  }
  std::size_t i = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    std::string_view const key = ks.keys[i];
    std::size_t const n = presign::signers::uri_encode(key, buf.data(), true);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
    bytes += key.size();
    i = (i + 1) & (kKeys - 1);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));  // input bytes encoded
}
BENCHMARK(BM_UriEncode_Key)
    ->ArgNames({"key_bytes", "escaped"})
    ->ArgsProduct({{16, 40, 64, 256, 1024}, {0, 1}});

}  // namespace
