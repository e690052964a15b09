#pragma once
// Private to presign::signers: the multi-buffer SHA-256 engines that need CPU extensions, one
// file per instruction set as simdjson arranges its kernels, so each file is compiled with
// its own target attribute and nothing else: sha256_multi_shani.cpp (SHA-NI, 1 to 4
// streams), sha256_multi_avx512.cpp (AVX-512, 16 lanes). sha256_multi.cpp holds the CPU
// detection, the portable engine and the run-time dispatch that calls these. Every kernel is
// an out-of-line call from the dispatch either way (a function with a target attribute is
// never inlined into a caller without it), so the split costs no inlining.

#include "presign/signers/sha256_multi.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#if defined(__x86_64__)
#include <immintrin.h>
#define PRESIGN_MULTI_X86 1
#define PRESIGN_TARGET_SHA __attribute__((target("sha,sse4.1,ssse3")))
#define PRESIGN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define PRESIGN_INLINE inline __attribute__((always_inline))
#endif

namespace presign::signers::crypto::detail {

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

#ifdef PRESIGN_MULTI_X86
// ---- SHA-NI (sha256_multi_shani.cpp) ----

/// Absorbs whole blocks into h[8], one stream.
PRESIGN_TARGET_SHA void compress_shani(std::uint32_t* h, std::uint8_t const* data,
                                       std::size_t blocks) noexcept;
/// One lane after another, one stream.
PRESIGN_TARGET_SHA void finish_shani1(std::span<Sha256Lane const> lanes) noexcept;
/// S interleaved streams (instantiated for S = 1 to 4); with `hmac_outer`, each lane is an
/// HMAC inner computation whose stream then runs the outer block.
template <int S>
PRESIGN_TARGET_SHA void finish_shani_streams(std::span<Sha256Lane const> lanes,
                                             Sha256Midstate const* hmac_outer = nullptr) noexcept;

// ---- AVX-512 (sha256_multi_avx512.cpp) ----

/// Up to 16 lanes at once.
PRESIGN_TARGET_AVX512 void finish_avx512(std::span<Sha256Lane const> lanes) noexcept;
/// HMAC: the inner hashes of up to 16 lanes, then their outer blocks from `outer`.
PRESIGN_TARGET_AVX512 void hmac_finish_avx512(Sha256Midstate const& outer,
                                              std::span<Sha256Lane const> lanes) noexcept;
#endif  // PRESIGN_MULTI_X86

}  // namespace presign::signers::crypto::detail
