// SHA-256 (FIPS 180-4) with a run-time choice of compression function.
//
// Why our own: signing a URL costs ~8 compressions of 64 bytes; at ~40 ns each the hashing is
// most of the time per URL, and OpenSSL's SHA256_Update adds a call and bookkeeping per
// update. Owning the state lets the signers fork midstates by plain copy and feed whole
// blocks directly. The SHA-NI path uses the x86 SHA extensions (sha256rnds2/msg1/msg2),
// following the structure Intel documents for them; the portable path is the textbook
// algorithm. Tests check both against OpenSSL and the NIST/RFC vectors.
#include "presign/signers/crypto.hpp"

#include "sha256_portable.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define PRESIGN_HAVE_X86 1
#endif

namespace presign::signers::crypto {

namespace detail {

namespace {
inline std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
}  // namespace

void sha256_compress_portable(std::uint32_t* state, std::uint8_t const* data,
                              std::size_t blocks) noexcept {
  while (blocks--) {
    std::uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = (std::uint32_t{data[4 * i]} << 24) | (std::uint32_t{data[4 * i + 1]} << 16) |
             (std::uint32_t{data[4 * i + 2]} << 8) | std::uint32_t{data[4 * i + 3]};
    }
    for (int i = 16; i < 64; ++i) {
      std::uint32_t const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      std::uint32_t const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; ++i) {
      std::uint32_t const t1 =
          h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kSha256K[i] + w[i];
      std::uint32_t const t2 =
          (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
    data += 64;
  }
}

}  // namespace detail

namespace {

using detail::kSha256Init;
using detail::kSha256K;

#ifdef PRESIGN_HAVE_X86
// SHA-NI keeps the eight words as two vectors, ABEF and CDGH; each sha256rnds2 does two
// rounds. Message words are scheduled four at a time with sha256msg1/msg2.
__attribute__((target("sha,sse4.1"))) void compress_shani(std::uint32_t* state,
                                                          std::uint8_t const* data,
                                                          std::size_t blocks) noexcept {
  __m128i const kByteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i tmp = _mm_loadu_si128(reinterpret_cast<__m128i const*>(state));
  __m128i s1 = _mm_loadu_si128(reinterpret_cast<__m128i const*>(state + 4));
  tmp = _mm_shuffle_epi32(tmp, 0xB1);        // CDAB
  s1 = _mm_shuffle_epi32(s1, 0x1B);          // EFGH
  __m128i s0 = _mm_alignr_epi8(tmp, s1, 8);  // ABEF
  s1 = _mm_blend_epi16(s1, tmp, 0xF0);       // CDGH
  while (blocks--) {
    __m128i const abef = s0;
    __m128i const cdgh = s1;
    __m128i w[4];
    for (int g = 0; g < 4; ++g) {
      w[g] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<__m128i const*>(data + 16 * g)),
                              kByteSwap);
    }
    for (int g = 0; g < 16; ++g) {
      __m128i msg = _mm_add_epi32(
          w[g & 3], _mm_loadu_si128(reinterpret_cast<__m128i const*>(kSha256K + 4 * g)));
      s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
      if (g >= 3 && g < 15) {  // words of group g+1 = msg2(w[g-3]' + alignr(w[g], w[g-1]), w[g])
        __m128i const t = _mm_alignr_epi8(w[g & 3], w[(g - 1) & 3], 4);
        w[(g + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w[(g + 1) & 3], t), w[g & 3]);
      }
      msg = _mm_shuffle_epi32(msg, 0x0E);
      s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
      if (g >= 1 && g < 13) w[(g - 1) & 3] = _mm_sha256msg1_epu32(w[(g - 1) & 3], w[g & 3]);
    }
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
    data += 64;
  }
  tmp = _mm_shuffle_epi32(s0, 0x1B);    // FEBA
  s1 = _mm_shuffle_epi32(s1, 0xB1);     // DCHG
  s0 = _mm_blend_epi16(tmp, s1, 0xF0);  // DCBA
  s1 = _mm_alignr_epi8(s1, tmp, 8);     // HGFE
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), s0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), s1);
}

bool cpu_has_sha_ni() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  bool const sha = (b >> 29) & 1U;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  bool const ssse3 = (c >> 9) & 1U;
  bool const sse41 = (c >> 19) & 1U;
  return sha && ssse3 && sse41;
}
#endif

using CompressFn = void (*)(std::uint32_t*, std::uint8_t const*, std::size_t) noexcept;

CompressFn pick() noexcept {
#ifdef PRESIGN_HAVE_X86
  if (cpu_has_sha_ni()) return compress_shani;
#endif
  return detail::sha256_compress_portable;
}

CompressFn const g_best = pick();
CompressFn g_compress = g_best;

}  // namespace

char const* sha256_implementation() noexcept {
  return g_compress == detail::sha256_compress_portable ? "portable" : "sha-ni";
}

void sha256_force_portable(bool on) noexcept {
  g_compress = on ? detail::sha256_compress_portable : g_best;
}

Sha256::Sha256() noexcept : buf_{} { std::memcpy(h_, kSha256Init, sizeof h_); }

void Sha256::update(void const* data, std::size_t n) noexcept {
  auto const* p = static_cast<std::uint8_t const*>(data);
  std::size_t used = static_cast<std::size_t>(total_ & 63U);
  total_ += n;
  if (used != 0) {
    std::size_t const take = n < 64 - used ? n : 64 - used;
    std::memcpy(buf_ + used, p, take);
    p += take;
    n -= take;
    if (used + take < 64) return;
    g_compress(h_, buf_, 1);
  }
  if (std::size_t const blocks = n / 64; blocks != 0) {
    g_compress(h_, p, blocks);
    p += blocks * 64;
    n -= blocks * 64;
  }
  if (n != 0) std::memcpy(buf_, p, n);
}

void Sha256::final(std::uint8_t* out32) noexcept {
  std::size_t used = static_cast<std::size_t>(total_ & 63U);
  std::uint64_t const bits = total_ * 8;
  buf_[used++] = 0x80;
  if (used > 56) {
    std::memset(buf_ + used, 0, 64 - used);
    g_compress(h_, buf_, 1);
    used = 0;
  }
  std::memset(buf_ + used, 0, 56 - used);
  std::uint64_t const be_bits = __builtin_bswap64(bits);
  std::memcpy(buf_ + 56, &be_bits, 8);
  g_compress(h_, buf_, 1);
  for (int i = 0; i < 8; ++i) {
    std::uint32_t const be = __builtin_bswap32(h_[i]);
    std::memcpy(out32 + 4 * i, &be, 4);
  }
}

}  // namespace presign::signers::crypto
