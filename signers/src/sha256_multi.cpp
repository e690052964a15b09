// Multi-buffer SHA-256 (FIPS 180-4): up to 16 independent messages finished in lockstep.
//
// Three engines, chosen at run time, all checked against OpenSSL by the tests:
//   - AVX-512 (F+BW+VL): lane i of every vector belongs to message i. Each step loads one
//     64-byte block per lane (masked byte loads make the padding block without copying),
//     byte-swaps, transposes the 16x16 word matrix with unpack/shuffle, and runs the 64 rounds
//     on 16 lanes at once; rotates are vprord and the three-input functions vpternlogd.
//     Lanes that have no block at a step are masked out of the state update.
//   - SHA-NI, two (or three, four) streams: the messages' sha256rnds2/msg1/msg2 sequences are
//     issued together so the SHA unit works on one while another waits on its latency
//     (~4 cycles per sha256rnds2 here). A small scheduler refills a stream from the next lane
//     as soon as its message ends; for HMAC a stream runs the lane's outer block next.
//   - one message at a time (SHA-NI single stream, or portable C++ without SHA-NI).
// Measurements that shaped it (bench/signers/sha256_multi_bench.cpp has the numbers): on the
// Zen 5 VM 512-bit rotates issue at one per cycle, so AVX-512 is about as fast per block as
// two SHA-NI streams and wins only with 15–16 lanes or the fused HMAC outer block.
//
// The engines that need CPU extensions live one file per instruction set
// (sha256_multi_shani.cpp, sha256_multi_avx512.cpp, declared in sha256_multi_kernels.hpp);
// this file holds the CPU detection, the portable engine and the dispatch.
#include "presign/signers/sha256_multi.hpp"

#include "sha256_multi_kernels.hpp"
#include "sha256_portable.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace presign::signers::crypto {
namespace {

// Round constants, initial state and the portable compression come from sha256.cpp
// (sha256_portable.hpp): one copy of each for both SHA-256 implementations.
using detail::kSha256Init;
using detail::LanePlan;
#ifdef PRESIGN_MULTI_X86
using detail::compress_shani;
using detail::finish_avx512;
using detail::finish_shani1;
using detail::finish_shani_streams;
using detail::hmac_finish_avx512;
#endif

// Below this many lanes the unforced AVX-512 path hands the call to two-stream SHA-NI, which
// costs per lane rather than per 16 lanes. Measured crossovers on the Zen 5 VM (bench
// Lanes/*, Url/*): plain SHA-256 15 lanes, HMAC (fused outer block) 13 lanes.
constexpr std::size_t kAvx512MinLanes = 15;
constexpr std::size_t kAvx512MinHmacLanes = 13;

void store_digest(std::uint32_t const* h, std::uint8_t* out) noexcept {
  for (int i = 0; i < 8; ++i) {
    std::uint32_t const be = __builtin_bswap32(h[i]);
    std::memcpy(out + 4 * i, &be, 4);
  }
}

// ---- Portable ----

using detail::sha256_compress_portable;

void finish_portable(std::span<Sha256Lane const> lanes) noexcept {
  LanePlan plan;
  for (auto const& lane : lanes) {
    std::uint32_t h[8];
    std::memcpy(h, lane.start->h, sizeof h);
    plan.init(lane);
    sha256_compress_portable(h, plan.tail, plan.full);
    sha256_compress_portable(h, plan.pad(), plan.blocks - plan.full);
    store_digest(h, lane.out);
  }
}

#ifdef PRESIGN_MULTI_X86
// ---- CPU features ----

struct Features {
  bool ssse3 = false;
  bool sha_ni = false;
  bool avx512 = false;
};

std::uint64_t xgetbv0() noexcept {
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t{hi} << 32) | lo;
}

Features detect() noexcept {
  Features f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  bool const ssse3 = (c >> 9) & 1U;
  bool const sse41 = (c >> 19) & 1U;
  bool const osxsave = (c >> 27) & 1U;
  f.ssse3 = ssse3;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  f.sha_ni = ((b >> 29) & 1U) && ssse3 && sse41;
  bool const avx512f = (b >> 16) & 1U;
  bool const avx512bw = (b >> 30) & 1U;
  bool const avx512vl = (b >> 31) & 1U;
  // The OS must save the SSE, AVX, opmask and both ZMM halves (XCR0 bits 1, 2, 5, 6, 7).
  bool const os_zmm = osxsave && (xgetbv0() & 0xE6U) == 0xE6U;
  f.avx512 = avx512f && avx512bw && avx512vl && os_zmm;
  return f;
}

Features const g_features = detect();

// ---- Hex ----

// Nibbles through a 16-entry pshufb table, interleaved high/low: 32 bytes in 12 instructions.
__attribute__((target("ssse3"))) void hex32_ssse3(std::uint8_t const* in, char* out) noexcept {
  __m128i const lut =
      _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
  __m128i const low4 = _mm_set1_epi8(0x0F);
  for (int half = 0; half < 2; ++half) {
    __m128i const v = _mm_loadu_si128(reinterpret_cast<__m128i const*>(in + 16 * half));
    __m128i const hi = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(v, 4), low4));
    __m128i const lo = _mm_shuffle_epi8(lut, _mm_and_si128(v, low4));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * half), _mm_unpacklo_epi8(hi, lo));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32 * half + 16), _mm_unpackhi_epi8(hi, lo));
  }
}
#endif  // PRESIGN_MULTI_X86

// ---- Dispatch ----

bool available(Sha256MultiPath p) noexcept {
  switch (p) {
    case Sha256MultiPath::kPortable:
      return true;
#ifdef PRESIGN_MULTI_X86
    case Sha256MultiPath::kShaNi:
    case Sha256MultiPath::kShaNi2:
    case Sha256MultiPath::kShaNi3:
    case Sha256MultiPath::kShaNi4:
      return g_features.sha_ni;
    case Sha256MultiPath::kAvx512:
      return g_features.avx512;
#else
    default:
      return false;
#endif
  }
  return false;
}

Sha256MultiPath best() noexcept {
  if (available(Sha256MultiPath::kAvx512)) return Sha256MultiPath::kAvx512;
  if (available(Sha256MultiPath::kShaNi2)) return Sha256MultiPath::kShaNi2;
  return Sha256MultiPath::kPortable;
}

Sha256MultiPath const g_best = best();
std::atomic<Sha256MultiPath> g_path{g_best};
std::atomic<bool> g_forced{false};

// The path for a call of n lanes.
Sha256MultiPath route(std::size_t n, std::size_t avx512_min_lanes) noexcept {
  Sha256MultiPath const p = g_path.load(std::memory_order_relaxed);
  if (p == Sha256MultiPath::kAvx512 && n < avx512_min_lanes &&
      !g_forced.load(std::memory_order_relaxed) && available(Sha256MultiPath::kShaNi2)) {
    return Sha256MultiPath::kShaNi2;
  }
  return p;
}

void finish_on(Sha256MultiPath p, std::span<Sha256Lane const> lanes) noexcept {
  switch (p) {
#ifdef PRESIGN_MULTI_X86
    case Sha256MultiPath::kAvx512:
      finish_avx512(lanes);
      return;
    case Sha256MultiPath::kShaNi2:
      finish_shani_streams<2>(lanes);
      return;
    case Sha256MultiPath::kShaNi3:
      finish_shani_streams<3>(lanes);
      return;
    case Sha256MultiPath::kShaNi4:
      finish_shani_streams<4>(lanes);
      return;
    case Sha256MultiPath::kShaNi:
      finish_shani1(lanes);
      return;
#endif
    default:
      finish_portable(lanes);
      return;
  }
}

// Whole blocks for midstates: single stream, the fastest scalar compression available
// (portable when that path is forced, so a forced-portable run uses no SHA-NI at all).
void compress_blocks(std::uint32_t* h, std::uint8_t const* data, std::size_t blocks) noexcept {
#ifdef PRESIGN_MULTI_X86
  if (g_features.sha_ni && g_path.load(std::memory_order_relaxed) != Sha256MultiPath::kPortable) {
    compress_shani(h, data, blocks);
    return;
  }
#endif
  sha256_compress_portable(h, data, blocks);
}

}  // namespace

Sha256Midstate Sha256Midstate::initial() noexcept {
  Sha256Midstate m{};
  std::memcpy(m.h, kSha256Init, sizeof m.h);
  m.absorbed = 0;
  return m;
}

std::size_t Sha256Midstate::absorb_blocks(void const* data, std::size_t n) noexcept {
  std::size_t const blocks = n / 64;
  if (blocks != 0) compress_blocks(h, static_cast<std::uint8_t const*>(data), blocks);
  absorbed += 64 * blocks;
  return 64 * blocks;
}

namespace {

// Runs `run` on the lanes with binary outputs in a local buffer, then writes the hex.
template <class Run>
void with_hex_outputs(std::span<Sha256Lane const> lanes, Run run) noexcept {
  Digest bin[kSha256MaxLanes];
  Sha256Lane tmp[kSha256MaxLanes];
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    tmp[i] = lanes[i];
    tmp[i].out = bin[i].data();
  }
  run(std::span<Sha256Lane const>(tmp, lanes.size()));
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    digest_hex_lower(bin[i].data(), reinterpret_cast<char*>(lanes[i].out));
  }
}

}  // namespace

void digest_hex_lower(std::uint8_t const* in32, char* out64) noexcept {
#ifdef PRESIGN_MULTI_X86
  if (g_features.ssse3) {
    hex32_ssse3(in32, out64);
    return;
  }
#endif
  hex_lower(in32, 32, out64);
}

void sha256_finish_many(std::span<Sha256Lane const> lanes, DigestFormat format) noexcept {
  if (lanes.size() > kSha256MaxLanes) lanes = lanes.first(kSha256MaxLanes);
  if (lanes.empty()) return;
  Sha256MultiPath const p = route(lanes.size(), kAvx512MinLanes);
  if (format == DigestFormat::kHexLower) {
    with_hex_outputs(lanes, [p](std::span<Sha256Lane const> l) { finish_on(p, l); });
  } else {
    finish_on(p, lanes);
  }
}

void hmac_sha256_outer_many(Sha256Midstate const& outer, std::span<Digest const> inner,
                            std::span<Digest> out) noexcept {
  std::size_t const n = std::min({inner.size(), out.size(), kSha256MaxLanes});
  Sha256Lane lanes[kSha256MaxLanes];
  for (std::size_t i = 0; i < n; ++i) lanes[i] = {&outer, inner[i].data(), 32, out[i].data()};
  sha256_finish_many({lanes, n});
}

namespace {

void hmac_finish_on(Sha256MultiPath p, Sha256Midstate const& outer,
                    std::span<Sha256Lane const> lanes) noexcept {
#ifdef PRESIGN_MULTI_X86
  switch (p) {
    case Sha256MultiPath::kAvx512:
      hmac_finish_avx512(outer, lanes);
      return;
    case Sha256MultiPath::kShaNi:
      finish_shani_streams<1>(lanes, &outer);
      return;
    case Sha256MultiPath::kShaNi2:
      finish_shani_streams<2>(lanes, &outer);
      return;
    case Sha256MultiPath::kShaNi3:
      finish_shani_streams<3>(lanes, &outer);
      return;
    case Sha256MultiPath::kShaNi4:
      finish_shani_streams<4>(lanes, &outer);
      return;
    default:
      break;
  }
#endif
  Digest inner[kSha256MaxLanes];
  Sha256Lane tmp[kSha256MaxLanes];
  Sha256Lane outer_lanes[kSha256MaxLanes];
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    tmp[i] = lanes[i];
    tmp[i].out = inner[i].data();
    outer_lanes[i] = {&outer, inner[i].data(), 32, lanes[i].out};
  }
  finish_on(p, {tmp, lanes.size()});
  finish_on(p, {outer_lanes, lanes.size()});
}

}  // namespace

void hmac_sha256_finish_many(Sha256Midstate const& outer, std::span<Sha256Lane const> lanes,
                             DigestFormat format) noexcept {
  if (lanes.size() > kSha256MaxLanes) lanes = lanes.first(kSha256MaxLanes);
  if (lanes.empty()) return;
  Sha256MultiPath const p = route(lanes.size(), kAvx512MinHmacLanes);
  if (format == DigestFormat::kHexLower) {
    with_hex_outputs(lanes,
                     [p, &outer](std::span<Sha256Lane const> l) { hmac_finish_on(p, outer, l); });
  } else {
    hmac_finish_on(p, outer, lanes);
  }
}

HmacSha256Midstates hmac_sha256_midstates(std::span<std::uint8_t const> key) noexcept {
  std::uint8_t block[64] = {};
  if (key.size() > sizeof block) {
    Sha256 h;
    h.update(key.data(), key.size());
    h.final(block);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  std::uint8_t pad[64];
  HmacSha256Midstates m{Sha256Midstate::initial(), Sha256Midstate::initial()};
  for (std::size_t i = 0; i < 64; ++i) pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36U);
  m.inner.absorb_blocks(pad, sizeof pad);
  for (std::size_t i = 0; i < 64; ++i) pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5cU);
  m.outer.absorb_blocks(pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return m;
}

char const* sha256_multi_path_name(Sha256MultiPath path) noexcept {
  switch (path) {
    case Sha256MultiPath::kPortable:
      return "portable";
    case Sha256MultiPath::kShaNi:
      return "sha-ni";
    case Sha256MultiPath::kShaNi2:
      return "sha-ni-x2";
    case Sha256MultiPath::kShaNi3:
      return "sha-ni-x3";
    case Sha256MultiPath::kShaNi4:
      return "sha-ni-x4";
    case Sha256MultiPath::kAvx512:
      return "avx512";
  }
  return "?";
}

bool sha256_multi_path_available(Sha256MultiPath path) noexcept { return available(path); }

Sha256MultiPath sha256_multi_path() noexcept { return g_path.load(std::memory_order_relaxed); }

bool sha256_multi_force(Sha256MultiPath path) noexcept {
  if (!available(path)) return false;
  g_path.store(path, std::memory_order_relaxed);
  g_forced.store(true, std::memory_order_relaxed);
  return true;
}

void sha256_multi_unforce() noexcept {
  g_path.store(g_best, std::memory_order_relaxed);
  g_forced.store(false, std::memory_order_relaxed);
}

bool sha256_multi_forced() noexcept { return g_forced.load(std::memory_order_relaxed); }

}  // namespace presign::signers::crypto
