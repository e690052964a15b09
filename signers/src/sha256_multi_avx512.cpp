// Multi-buffer SHA-256, the AVX-512 engine: 16 lanes in the lanes of 512-bit vectors
// (`finish_avx512`), and the HMAC variant that runs the outer block fused
// (`hmac_finish_avx512`). See sha256_multi.cpp for why and when it is chosen.
#include "sha256_multi_kernels.hpp"

#include "sha256_portable.hpp"

#ifdef PRESIGN_MULTI_X86

namespace presign::signers::crypto::detail {
namespace {

alignas(64) constexpr std::uint8_t kZeroBlock[64] = {};

// GCC 12's AVX-512 intrinsics (vprord, unpacks, broadcasts) start from
// _mm512_undefined_epi32(), a self-initialised variable that -W(maybe-)uninitialized flags
// once inlined (GCC bug 105593, fixed in GCC 13).
// (clang, which also reads `#pragma GCC`, has no -Wmaybe-uninitialized and no such bug.)
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

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

}  // namespace

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

}  // namespace presign::signers::crypto::detail

#endif  // PRESIGN_MULTI_X86
