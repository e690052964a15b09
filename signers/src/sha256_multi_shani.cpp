// Multi-buffer SHA-256, the SHA-NI engines: one message at a time (`finish_shani1`,
// `compress_shani` for midstates) and two to four interleaved streams
// (`finish_shani_streams<S>`). See sha256_multi.cpp for why and when each is chosen.
#include "sha256_multi_kernels.hpp"

#include "sha256_portable.hpp"

#include <algorithm>

#ifdef PRESIGN_MULTI_X86

namespace presign::signers::crypto::detail {
namespace {
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

}  // namespace

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

namespace {

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

}  // namespace

// With `hmac_outer`, each lane is an HMAC inner computation: when it ends, the same stream
// runs the outer block (the inner digest + constant padding) from `*hmac_outer` before
// writing the MAC, so outer blocks interleave with other lanes' inner blocks.
template <int S>
PRESIGN_TARGET_SHA void finish_shani_streams(std::span<Sha256Lane const> lanes,
                                             Sha256Midstate const* hmac_outer) noexcept {
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

template void finish_shani_streams<1>(std::span<Sha256Lane const>, Sha256Midstate const*) noexcept;
template void finish_shani_streams<2>(std::span<Sha256Lane const>, Sha256Midstate const*) noexcept;
template void finish_shani_streams<3>(std::span<Sha256Lane const>, Sha256Midstate const*) noexcept;
template void finish_shani_streams<4>(std::span<Sha256Lane const>, Sha256Midstate const*) noexcept;

}  // namespace presign::signers::crypto::detail

#endif  // PRESIGN_MULTI_X86
