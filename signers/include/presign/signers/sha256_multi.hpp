#pragma once
/// Multi-buffer SHA-256: finish up to 16 independent SHA-256 computations in lockstep.
///
/// One SHA-256 stream is latency-bound (~35 ns per 64-byte block with SHA-NI here), but a
/// batch signer has many independent messages. This finishes N ≤ 16 of them at once on the
/// fastest path the CPU offers, chosen at run time:
///   - `kAvx512`:  16 lanes in AVX-512 vectors (message words transposed, rotates with vprord);
///   - `kShaNi2`:  two SHA-NI streams interleaved so the SHA unit pipelines (`kShaNi3`,
///                 `kShaNi4`: three or four streams; measured, not chosen automatically);
///   - `kShaNi`:   one message at a time with SHA-NI (the scalar fallback on SHA-NI CPUs);
///   - `kPortable`: one message at a time, portable C++ (the fallback everywhere else).
/// Unforced, a call uses AVX-512 when the CPU has it and the call has enough lanes to pay for
/// 16-wide work, else two-stream SHA-NI, else portable. Every path gives identical digests
/// (tested against OpenSSL). Lanes may have different lengths: on AVX-512 lanes that finish
/// early are masked (the call costs the longest lane's blocks); the SHA-NI streams take the
/// next lane as soon as one ends. Allocation-free, noexcept.

#include "presign/signers/crypto.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace presign::signers::crypto {

/// SHA-256 state after a whole number of 64-byte blocks: the starting point of a lane.
/// Plain data; compute it once per batch for constant message heads and share it by pointer.
struct Sha256Midstate {
  std::uint32_t h[8];
  std::uint64_t absorbed;  ///< bytes absorbed so far; always a multiple of 64

  /// The SHA-256 initial state (nothing absorbed).
  static Sha256Midstate initial() noexcept;
  /// Absorbs the first `n / 64` whole blocks of `data`; returns how many bytes that was.
  /// The caller puts the remaining `n % 64` bytes at the start of each lane's tail.
  std::size_t absorb_blocks(void const* data, std::size_t n) noexcept;
};

/// One lane: "finish the computation that started at `*start` with the bytes `tail`".
struct Sha256Lane {
  Sha256Midstate const* start;  ///< may be shared by all lanes
  std::uint8_t const* tail;     ///< the rest of the message (any length; may be null if 0)
  std::size_t size;             ///< bytes in `tail`
  std::uint8_t* out;  ///< receives the digest (32 bytes, or 64 hex characters); may alias this
                      ///< lane's own `tail`, never another lane's
};

inline constexpr std::size_t kSha256MaxLanes = 16;

/// What each lane's `out` receives: the 32-byte digest, or its 64 lower-case hex characters
/// (no terminator), which a SigV4 signer needs twice per URL.
enum class DigestFormat : std::uint8_t { kBinary, kHexLower };

/// Finishes `lanes.size()` ≤ 16 SHA-256 computations (more is a programming error: only the
/// first 16 are done). Uses the active path (see below).
void sha256_finish_many(std::span<Sha256Lane const> lanes,
                        DigestFormat format = DigestFormat::kBinary) noexcept;

/// HMAC outer step for many MACs under one key: out[i] = SHA-256(opad block ‖ inner[i]),
/// from the shared `outer` midstate (the opad block absorbed; `absorbed == 64`). Each lane is
/// exactly one block. N ≤ 16; `out` may be `inner`.
void hmac_sha256_outer_many(Sha256Midstate const& outer, std::span<Digest const> inner,
                            std::span<Digest> out) noexcept;

/// Whole HMAC finish for many MACs under one key: each lane's inner computation (starting
/// from the ipad midstate, possibly with a constant message head folded in) is finished, then
/// the outer hash from `outer`; each lane's `out` receives the MAC. On AVX-512 the inner
/// digests stay in registers; on SHA-NI a stream runs a lane's outer block right after its
/// inner blocks. N ≤ 16.
void hmac_sha256_finish_many(Sha256Midstate const& outer, std::span<Sha256Lane const> lanes,
                             DigestFormat format = DigestFormat::kBinary) noexcept;

/// Lower-case hex of a 32-byte digest (SSSE3 when the CPU has it): 64 characters, no terminator.
void digest_hex_lower(std::uint8_t const* in32, char* out64) noexcept;

/// The ipad/opad midstates of an HMAC-SHA256 key (RFC 2104: keys over 64 bytes are hashed).
struct HmacSha256Midstates {
  Sha256Midstate inner;  ///< after the ipad block
  Sha256Midstate outer;  ///< after the opad block
};
HmacSha256Midstates hmac_sha256_midstates(std::span<std::uint8_t const> key) noexcept;

// ---- Path selection ----

enum class Sha256MultiPath : std::uint8_t { kPortable, kShaNi, kShaNi2, kShaNi3, kShaNi4, kAvx512 };

/// "portable", "sha-ni", "sha-ni-x2" or "avx512".
char const* sha256_multi_path_name(Sha256MultiPath path) noexcept;
/// Whether the CPU (and, for AVX-512, the OS: XSAVE enabled for the ZMM/opmask state) has it.
bool sha256_multi_path_available(Sha256MultiPath path) noexcept;
/// The path in use. Unforced, calls with few lanes may still go to a narrower path when that
/// is faster (see `sha256_multi_forced`).
Sha256MultiPath sha256_multi_path() noexcept;
/// Forces `path` for every call (tests, benchmarks); returns false, changing nothing, when it
/// is not available. Not thread-safe: call before any hashing starts.
bool sha256_multi_force(Sha256MultiPath path) noexcept;
/// Back to automatic selection.
void sha256_multi_unforce() noexcept;
/// True while a path is forced.
bool sha256_multi_forced() noexcept;

}  // namespace presign::signers::crypto
