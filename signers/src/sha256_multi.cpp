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
#include "presign/signers/sha256_multi.hpp"

#include "sha256_portable.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define PRESIGN_MULTI_X86 1
#define PRESIGN_TARGET_SHA __attribute__((target("sha,sse4.1,ssse3")))
#define PRESIGN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define PRESIGN_INLINE inline __attribute__((always_inline))
#endif

namespace presign::signers::crypto {
namespace {

// Round constants, initial state and the portable compression come from sha256.cpp
// (sha256_portable.hpp): one copy of each for both SHA-256 implementations.
using detail::kSha256Init;
using detail::kSha256K;

alignas(64) constexpr std::uint8_t kZeroBlock[64] = {};

// Below this many lanes the unforced AVX-512 path hands the call to two-stream SHA-NI, which
// costs per lane rather than per 16 lanes. Measured crossovers on the Zen 5 VM (bench
// Lanes/*, Url/*): plain SHA-256 15 lanes, HMAC (fused outer block) 13 lanes.
constexpr std::size_t kAvx512MinLanes = 15;
constexpr std::size_t kAvx512MinHmacLanes = 13;

// ---- Lane padding shared by the one-lane-at-a-time engines ----

// The whole blocks of a lane come straight from its tail; the last one or two blocks (the
// remaining bytes, 0x80, zeros, the 64-bit bit length) are built in `pad()`.
struct LanePlan {
  std::uint8_t const* tail;
  std::size_t full;                        // whole blocks read from `tail`
  std::size_t blocks;                      // total blocks (full + 1 or 2)
  alignas(16) std::uint8_t buf[64 + 128];  // pad() = buf + 64; buf[0, 64) is slack, see init

  [[nodiscard]] std::uint8_t* pad() noexcept { return buf + 64; }

  void init(Sha256Lane const& lane) noexcept {
    tail = lane.tail;
    full = lane.size / 64;
    std::size_t const r = lane.size % 64;
    std::size_t const npad = r < 56 ? 1 : 2;
    std::memset(pad(), 0, 128);
    if (lane.size >= 64) {
      // The tail's last 64 bytes, placed to end at pad() + r: pad()[0, r) receives the
      // partial block and the rest falls in the slack. Fixed-size copies, no library call.
      std::uint8_t last[64];
      std::memcpy(last, tail + lane.size - 64, 64);
      std::memcpy(buf + r, last, 64);
    } else if (r != 0) {
      std::memcpy(pad(), tail, r);
    }
    pad()[r] = 0x80;
    std::uint64_t const be_bits = __builtin_bswap64((lane.start->absorbed + lane.size) * 8);
    std::memcpy(pad() + 64 * npad - 8, &be_bits, 8);
    blocks = full + npad;
  }
  [[nodiscard]] std::uint8_t const* block(std::size_t b) const noexcept {
    return b < full ? tail + 64 * b : buf + 64 + 64 * (b - full);
  }
};

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

// ---- SHA-NI, 1 to 4 streams ----

// ABEF/CDGH form <-> h[8].
PRESIGN_TARGET_SHA PRESIGN_INLINE void shani_load(std::uint32_t const* h, __m128i& s0,
                                                  __m128i& s1) noexcept {
  __m128i tmp = _mm_loadu_si128(reinterpret_cast<__m128i const*>(h));
  s1 = _mm_loadu_si128(reinterpret_cast<__m128i const*>(h + 4));
  tmp = _mm_shuffle_epi32(tmp, 0xB1);   // CDAB
  s1 = _mm_shuffle_epi32(s1, 0x1B);     // EFGH
  s0 = _mm_alignr_epi8(tmp, s1, 8);     // ABEF
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);  // CDGH
}

PRESIGN_TARGET_SHA PRESIGN_INLINE void shani_store_digest(__m128i s0, __m128i s1,
                                                          std::uint8_t* out) noexcept {
  // Word order DCBA/HGFE reversed to ABCD/EFGH and byte-swapped in one shuffle each.
  __m128i const tmp = _mm_shuffle_epi32(s0, 0x1B);  // FEBA
  s1 = _mm_shuffle_epi32(s1, 0xB1);                 // DCHG
  __m128i lo = _mm_blend_epi16(tmp, s1, 0xF0);      // DCBA (as h[0..3] in memory order)
  __m128i hi = _mm_alignr_epi8(s1, tmp, 8);         // HGFE
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  lo = _mm_shuffle_epi8(lo, bswap);
  hi = _mm_shuffle_epi8(hi, bswap);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), lo);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), hi);
}

// One block for each of S streams, their instructions interleaved group by group.
template <int S>
PRESIGN_TARGET_SHA PRESIGN_INLINE void shani_block(__m128i* s0, __m128i* s1,
                                                   std::uint8_t const* const* data) noexcept {
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i abef[S], cdgh[S], w[S][4], msg[S];
#pragma GCC unroll 4
  for (int k = 0; k < S; ++k) {
    abef[k] = s0[k];
    cdgh[k] = s1[k];
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
      w[k][g] = _mm_shuffle_epi8(
          _mm_loadu_si128(reinterpret_cast<__m128i const*>(data[k] + 16 * g)), bswap);
    }
  }
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    __m128i const kv = _mm_load_si128(reinterpret_cast<__m128i const*>(kSha256K + 4 * g));
#pragma GCC unroll 4
    for (int k = 0; k < S; ++k) {
      msg[k] = _mm_add_epi32(w[k][g & 3], kv);
      s1[k] = _mm_sha256rnds2_epu32(s1[k], s0[k], msg[k]);
    }
    if (g >= 3 &&
        g < 15) {  // words of group g+1 = msg2(msg1'd w[g-3] + alignr(w[g], w[g-1]), w[g])
#pragma GCC unroll 4
      for (int k = 0; k < S; ++k) {
        __m128i const t = _mm_alignr_epi8(w[k][g & 3], w[k][(g - 1) & 3], 4);
        w[k][(g + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w[k][(g + 1) & 3], t), w[k][g & 3]);
      }
    }
#pragma GCC unroll 4
    for (int k = 0; k < S; ++k) {
      msg[k] = _mm_shuffle_epi32(msg[k], 0x0E);
      s0[k] = _mm_sha256rnds2_epu32(s0[k], s1[k], msg[k]);
    }
    if (g >= 1 && g < 13) {
#pragma GCC unroll 4
      for (int k = 0; k < S; ++k)
        w[k][(g - 1) & 3] = _mm_sha256msg1_epu32(w[k][(g - 1) & 3], w[k][g & 3]);
    }
  }
#pragma GCC unroll 4
  for (int k = 0; k < S; ++k) {
    s0[k] = _mm_add_epi32(s0[k], abef[k]);
    s1[k] = _mm_add_epi32(s1[k], cdgh[k]);
  }
}

PRESIGN_TARGET_SHA void compress_shani(std::uint32_t* h, std::uint8_t const* data,
                                       std::size_t blocks) noexcept {
  __m128i s0[1], s1[1];
  shani_load(h, s0[0], s1[0]);
  for (; blocks != 0; --blocks, data += 64) shani_block<1>(s0, s1, &data);
  // Back to h[8] order (the inverse of shani_load).
  __m128i const tmp = _mm_shuffle_epi32(s0[0], 0x1B);  // FEBA
  __m128i const t1 = _mm_shuffle_epi32(s1[0], 0xB1);   // DCHG
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(tmp, t1, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(t1, tmp, 8));
}

PRESIGN_TARGET_SHA void finish_shani1(std::span<Sha256Lane const> lanes) noexcept {
  LanePlan plan;
  for (auto const& lane : lanes) {
    plan.init(lane);
    __m128i s0[1], s1[1];
    shani_load(lane.start->h, s0[0], s1[0]);
    for (std::size_t b = 0; b < plan.blocks; ++b) {
      std::uint8_t const* p = plan.block(b);
      shani_block<1>(s0, s1, &p);
    }
    shani_store_digest(s0[0], s1[0], lane.out);
  }
}

// S interleaved streams; a stream whose message ends takes the next lane, so lanes of
// different lengths keep every stream busy until the lanes run out, then the remaining
// streams finish with a narrower interleave.
struct ShaniStream {
  Sha256Lane const* lane = nullptr;
  std::size_t b = 0;
  bool outer_phase = false;  // HMAC: running the outer block
  __m128i s0, s1;
  LanePlan plan;
};

PRESIGN_TARGET_SHA PRESIGN_INLINE void shani_take(ShaniStream& st,
                                                  std::span<Sha256Lane const> lanes,
                                                  std::size_t& next) noexcept {
  if (next == lanes.size()) {
    st.lane = nullptr;
    return;
  }
  st.lane = &lanes[next++];
  st.b = 0;
  st.outer_phase = false;
  st.plan.init(*st.lane);
  shani_load(st.lane->start->h, st.s0, st.s1);
}

// Runs the C streams st[idx[0..C)] together until the first of them ends.
template <int C>
PRESIGN_TARGET_SHA PRESIGN_INLINE void shani_run(ShaniStream* st, int const* idx) noexcept {
  __m128i s0[C], s1[C];
  std::size_t steps = ~std::size_t{0};
  for (int k = 0; k < C; ++k) {
    ShaniStream const& x = st[idx[k]];
    s0[k] = x.s0;
    s1[k] = x.s1;
    steps = std::min(steps, x.plan.blocks - x.b);
  }
  for (std::size_t i = 0; i < steps; ++i) {
    std::uint8_t const* p[C];
    for (int k = 0; k < C; ++k) p[k] = st[idx[k]].plan.block(st[idx[k]].b + i);
    shani_block<C>(s0, s1, p);
  }
  for (int k = 0; k < C; ++k) {
    ShaniStream& x = st[idx[k]];
    x.s0 = s0[k];
    x.s1 = s1[k];
    x.b += steps;
  }
}

// With `hmac_outer`, each lane is an HMAC inner computation: when it ends, the same stream
// runs the outer block (the inner digest + constant padding) from `*hmac_outer` before
// writing the MAC, so outer blocks interleave with other lanes' inner blocks.
template <int S>
PRESIGN_TARGET_SHA void finish_shani_streams(std::span<Sha256Lane const> lanes,
                                             Sha256Midstate const* hmac_outer = nullptr) noexcept {
  ShaniStream st[S];
  std::size_t next = 0;
  for (int k = 0; k < S; ++k) shani_take(st[k], lanes, next);
  __m128i outer_pad[2] = {_mm_setzero_si128(), _mm_setzero_si128()};  // bytes 32..63
  if (hmac_outer != nullptr) {
    alignas(16) std::uint8_t t[32] = {0x80};
    std::uint64_t const be_bits = __builtin_bswap64((hmac_outer->absorbed + 32) * 8);
    std::memcpy(t + 24, &be_bits, 8);
    outer_pad[0] = _mm_load_si128(reinterpret_cast<__m128i const*>(t));
    outer_pad[1] = _mm_load_si128(reinterpret_cast<__m128i const*>(t + 16));
  }
  for (;;) {
    int idx[S];
    int active = 0;
    for (int k = 0; k < S; ++k) {
      if (st[k].lane != nullptr) idx[active++] = k;
    }
    if (active == 0) return;
    if (active == S) {
      shani_run<S>(st, idx);
    } else if constexpr (S > 3) {
      if (active == 3)
        shani_run<3>(st, idx);
      else if (active == 2)
        shani_run<2>(st, idx);
      else
        shani_run<1>(st, idx);
    } else if constexpr (S > 2) {
      if (active == 2)
        shani_run<2>(st, idx);
      else
        shani_run<1>(st, idx);
    } else {
      shani_run<1>(st, idx);
    }
    for (int j = 0; j < active; ++j) {
      ShaniStream& x = st[idx[j]];
      if (x.b != x.plan.blocks) continue;
      if (hmac_outer != nullptr && !x.outer_phase) {
        // Four aligned 16-byte stores, so the block loads that follow forward from them.
        shani_store_digest(x.s0, x.s1, x.plan.pad());
        _mm_store_si128(reinterpret_cast<__m128i*>(x.plan.pad() + 32), outer_pad[0]);
        _mm_store_si128(reinterpret_cast<__m128i*>(x.plan.pad() + 48), outer_pad[1]);
        x.plan.full = 0;
        x.plan.blocks = 1;
        x.b = 0;
        x.outer_phase = true;
        shani_load(hmac_outer->h, x.s0, x.s1);
        continue;
      }
      shani_store_digest(x.s0, x.s1, x.lane->out);
      shani_take(x, lanes, next);
    }
  }
}

// ---- AVX-512, 16 lanes ----

// GCC 12's AVX-512 intrinsics (vprord, unpacks, broadcasts) start from
// _mm512_undefined_epi32(), a self-initialised variable that -W(maybe-)uninitialized flags
// once inlined (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

struct alignas(64) Vec16 {
  std::uint32_t v[16];
};

PRESIGN_TARGET_AVX512 PRESIGN_INLINE __m512i bcast(std::uint32_t x) noexcept {
  return _mm512_set1_epi32(static_cast<int>(x));
}

// The round constants as whole vectors: an add with a memory operand instead of a
// mov + vpbroadcastd + add per round (zmm ops are the bottleneck here).
struct KVectors {
  Vec16 k[64];
};
constexpr KVectors kKv = [] {
  KVectors t{};
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 16; ++j) t.k[i].v[j] = kSha256K[i];
  }
  return t;
}();

// Σ0, Σ1, σ0, σ1, Ch and Maj with vprord and vpternlogd (0x96 = a^b^c, 0xCA = a?b:c,
// 0xE8 = majority).
PRESIGN_TARGET_AVX512 PRESIGN_INLINE __m512i big_sigma0(__m512i a) noexcept {
  return _mm512_ternarylogic_epi32(_mm512_ror_epi32(a, 2), _mm512_ror_epi32(a, 13),
                                   _mm512_ror_epi32(a, 22), 0x96);
}
PRESIGN_TARGET_AVX512 PRESIGN_INLINE __m512i big_sigma1(__m512i e) noexcept {
  return _mm512_ternarylogic_epi32(_mm512_ror_epi32(e, 6), _mm512_ror_epi32(e, 11),
                                   _mm512_ror_epi32(e, 25), 0x96);
}
PRESIGN_TARGET_AVX512 PRESIGN_INLINE __m512i small_sigma0(__m512i x) noexcept {
  return _mm512_ternarylogic_epi32(_mm512_ror_epi32(x, 7), _mm512_ror_epi32(x, 18),
                                   _mm512_srli_epi32(x, 3), 0x96);
}
PRESIGN_TARGET_AVX512 PRESIGN_INLINE __m512i small_sigma1(__m512i x) noexcept {
  return _mm512_ternarylogic_epi32(_mm512_ror_epi32(x, 17), _mm512_ror_epi32(x, 19),
                                   _mm512_srli_epi32(x, 10), 0x96);
}

// Round T on state s (register renaming by index: a = s[(0-T)&7], …, h = s[(7-T)&7]).
template <int T>
PRESIGN_TARGET_AVX512 PRESIGN_INLINE void avx_round(__m512i (&s)[8], __m512i (&w)[16]) noexcept {
  constexpr int a = (0 - T) & 7, b = (1 - T) & 7, c = (2 - T) & 7, d = (3 - T) & 7;
  constexpr int e = (4 - T) & 7, f = (5 - T) & 7, g = (6 - T) & 7, h = (7 - T) & 7;
  if constexpr (T >= 16) {
    w[T & 15] = _mm512_add_epi32(_mm512_add_epi32(w[T & 15], small_sigma0(w[(T - 15) & 15])),
                                 _mm512_add_epi32(w[(T - 7) & 15], small_sigma1(w[(T - 2) & 15])));
  }
  // t1 = (h + K + W + Ch) + Σ1(e): the part not waiting on Σ1's two rotate latencies first.
  __m512i const hk =
      _mm512_add_epi32(s[h], _mm512_add_epi32(w[T & 15], _mm512_load_si512(kKv.k[T].v)));
  __m512i const t = _mm512_add_epi32(hk, _mm512_ternarylogic_epi32(s[e], s[f], s[g], 0xCA));
  __m512i const t1 = _mm512_add_epi32(t, big_sigma1(s[e]));
  __m512i const t2 =
      _mm512_add_epi32(big_sigma0(s[a]), _mm512_ternarylogic_epi32(s[a], s[b], s[c], 0xE8));
  s[d] = _mm512_add_epi32(s[d], t1);
  s[h] = _mm512_add_epi32(t1, t2);
}

template <int... T>
PRESIGN_TARGET_AVX512 PRESIGN_INLINE void avx_rounds(__m512i (&s)[8], __m512i (&w)[16],
                                                     std::integer_sequence<int, T...>) noexcept {
  (avx_round<T>(s, w), ...);
}

// One block per lane; lanes outside `active` keep their state.
PRESIGN_TARGET_AVX512 PRESIGN_INLINE void avx_compress(__m512i (&st)[8], __m512i (&w)[16],
                                                       __mmask16 active) noexcept {
  __m512i s[8];
  for (int i = 0; i < 8; ++i) s[i] = st[i];
  avx_rounds(s, w, std::make_integer_sequence<int, 64>{});
  for (int i = 0; i < 8; ++i) st[i] = _mm512_mask_add_epi32(st[i], active, st[i], s[i]);
}

// 16x16 transpose of 32-bit words: in row i = lane i's block; out word j = vector of word j.
PRESIGN_TARGET_AVX512 PRESIGN_INLINE void transpose16(__m512i (&r)[16]) noexcept {
  __m512i t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int q = 0; q < 16; q += 4) {  // rows q..q+3
    u[q] = _mm512_unpacklo_epi64(t[q], t[q + 2]);
    u[q + 1] = _mm512_unpackhi_epi64(t[q], t[q + 2]);
    u[q + 2] = _mm512_unpacklo_epi64(t[q + 1], t[q + 3]);
    u[q + 3] = _mm512_unpackhi_epi64(t[q + 1], t[q + 3]);
  }
  // u[4g+m], 128-bit chunk k = rows 4g..4g+3, word 4k+m.
  for (int m = 0; m < 4; ++m) {
    __m512i const alo = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44);
    __m512i const ahi = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xEE);
    __m512i const blo = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44);
    __m512i const bhi = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xEE);
    r[m] = _mm512_shuffle_i32x4(alo, blo, 0x88);
    r[4 + m] = _mm512_shuffle_i32x4(alo, blo, 0xDD);
    r[8 + m] = _mm512_shuffle_i32x4(ahi, bhi, 0x88);
    r[12 + m] = _mm512_shuffle_i32x4(ahi, bhi, 0xDD);
  }
}

PRESIGN_TARGET_AVX512 PRESIGN_INLINE __m512i bswap_mask() noexcept {
  return _mm512_broadcast_i32x4(_mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL));
}

// Runs every lane to the end of its message; st receives the final states (word values).
PRESIGN_TARGET_AVX512 PRESIGN_INLINE void avx_finish_states(std::span<Sha256Lane const> lanes,
                                                            __m512i (&st)[8]) noexcept {
  std::size_t const n = lanes.size();
  Vec16 nb{}, len_hi{}, len_lo{};
  std::uint8_t const* tail[16];
  std::int64_t size[16];
  std::uint32_t max_blocks = 0;
  bool shared = true;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i < n) {
      Sha256Lane const& l = lanes[i];
      tail[i] = l.tail != nullptr ? l.tail : kZeroBlock;
      size[i] = static_cast<std::int64_t>(l.size);
      nb.v[i] = static_cast<std::uint32_t>((l.size + 9 + 63) / 64);
      std::uint64_t const bits = (l.start->absorbed + l.size) * 8;
      len_hi.v[i] = static_cast<std::uint32_t>(bits >> 32);
      len_lo.v[i] = static_cast<std::uint32_t>(bits);
      max_blocks = std::max(max_blocks, nb.v[i]);
      shared = shared && l.start == lanes[0].start;
    } else {
      tail[i] = kZeroBlock;
      size[i] = -1;  // no data, no 0x80 byte; nb = 0 keeps the lane masked
    }
  }
  if (shared) {
    for (int j = 0; j < 8; ++j) st[j] = bcast(lanes[0].start->h[j]);
  } else {
    Vec16 h[8];
    for (std::size_t i = 0; i < 16; ++i) {
      std::uint32_t const* src = lanes[i < n ? i : 0].start->h;
      for (int j = 0; j < 8; ++j) h[j].v[i] = src[j];
    }
    for (int j = 0; j < 8; ++j) st[j] = _mm512_load_si512(h[j].v);
  }
  __m512i const nbv = _mm512_load_si512(nb.v);
  __m512i const hi = _mm512_load_si512(len_hi.v);
  __m512i const lo = _mm512_load_si512(len_lo.v);
  __m512i const swap = bswap_mask();
  for (std::uint32_t b = 0; b < max_blocks; ++b) {
    __m512i w[16];
    std::int64_t const off = 64 * static_cast<std::int64_t>(b);
    for (int i = 0; i < 16; ++i) {
      // avail ≥ 64: a whole block; 0 ≤ avail < 64: the last bytes then 0x80; else nothing.
      std::int64_t const avail = size[i] - off;
      __mmask64 const load = avail >= 64 ? ~__mmask64{0}
                             : avail > 0 ? (__mmask64{1} << avail) - 1
                                         : __mmask64{0};
      __mmask64 const mark = (avail >= 0 && avail < 64) ? __mmask64{1} << avail : __mmask64{0};
      std::uint8_t const* p = avail > 0 ? tail[i] + off : kZeroBlock;
      __m512i row = _mm512_maskz_loadu_epi8(load, p);
      w[i] = _mm512_mask_set1_epi8(row, mark, static_cast<char>(-128));
    }
    transpose16(w);
    for (int j = 0; j < 16; ++j) w[j] = _mm512_shuffle_epi8(w[j], swap);
    __m512i const bv = bcast(b);
    __mmask16 const last = _mm512_cmpeq_epi32_mask(nbv, _mm512_add_epi32(bv, bcast(1)));
    w[14] = _mm512_mask_mov_epi32(w[14], last, hi);
    w[15] = _mm512_mask_mov_epi32(w[15], last, lo);
    avx_compress(st, w, _mm512_cmpgt_epu32_mask(nbv, bv));
  }
}

PRESIGN_TARGET_AVX512 PRESIGN_INLINE void avx_store_digests(
    __m512i (&st)[8], std::span<Sha256Lane const> lanes) noexcept {
  __m512i const swap = bswap_mask();
  Vec16 h[8];
  for (int j = 0; j < 8; ++j) _mm512_store_si512(h[j].v, _mm512_shuffle_epi8(st[j], swap));
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    std::uint32_t d[8];
    for (int j = 0; j < 8; ++j) d[j] = h[j].v[i];
    std::memcpy(lanes[i].out, d, 32);
  }
}

PRESIGN_TARGET_AVX512 void finish_avx512(std::span<Sha256Lane const> lanes) noexcept {
  __m512i st[8];
  avx_finish_states(lanes, st);
  avx_store_digests(st, lanes);
}

// HMAC: the inner states are the outer block's first eight words as they stand; the rest of
// the block is constant padding for a 96-byte message (opad block + 32-byte digest).
PRESIGN_TARGET_AVX512 void hmac_finish_avx512(Sha256Midstate const& outer,
                                              std::span<Sha256Lane const> lanes) noexcept {
  __m512i inner[8];
  avx_finish_states(lanes, inner);
  __m512i w[16];
  for (int j = 0; j < 8; ++j) w[j] = inner[j];
  w[8] = bcast(0x80000000U);
  for (int j = 9; j < 15; ++j) w[j] = _mm512_setzero_si512();
  w[15] = bcast(static_cast<std::uint32_t>((outer.absorbed + 32) * 8));
  __m512i st[8];
  for (int j = 0; j < 8; ++j) st[j] = bcast(outer.h[j]);
  avx_compress(st, w, static_cast<__mmask16>(0xFFFF));
  avx_store_digests(st, lanes);
}
#pragma GCC diagnostic pop
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
