#pragma once
/// SHA-256 / HMAC-SHA256 building blocks with reusable midstates.
///
/// Signing many URLs with one key repeats the same first blocks over and over: the HMAC
/// ipad/opad blocks, the constant head of a string to sign, the constant head of a canonical
/// request. These types absorb such constant data once; copying the state (a plain struct
/// copy, ~112 bytes) then resumes from that point for each URL. All functions are noexcept
/// and allocation-free.

#include "presign/core/base64.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace presign::signers::crypto {

using Digest = std::array<std::uint8_t, 32>;

/// Streaming SHA-256 whose state can be copied to fork a computation.
///
/// The compression function is chosen once at start-up: SHA-NI (x86 SHA extensions) when the
/// CPU has them, else portable C++. Both give identical digests (tested). The state is a plain
/// trivially-copyable struct (~112 bytes), so a midstate is forked by assignment.
class Sha256 {
 public:
  Sha256() noexcept;
  void update(void const* data, std::size_t n) noexcept;
  void update(std::string_view s) noexcept { update(s.data(), s.size()); }
  void final(std::uint8_t* out32) noexcept;  ///< the object must not be updated afterwards
  [[nodiscard]] Digest final() noexcept {
    Digest d;
    final(d.data());
    return d;
  }

 private:
  std::uint32_t h_[8];
  std::uint64_t total_ = 0;  // bytes absorbed
  std::uint8_t buf_[64];     // partial block
};

/// Which compression function `Sha256` uses on this machine ("sha-ni" or "portable").
char const* sha256_implementation() noexcept;
/// Forces the portable compression function (tests compare both paths); not thread-safe:
/// call before any hashing starts.
void sha256_force_portable(bool on) noexcept;

/// HMAC-SHA256 with the key's ipad/opad blocks absorbed once.
class HmacSha256 {
 public:
  HmacSha256() noexcept = default;
  explicit HmacSha256(std::span<std::uint8_t const> key) noexcept;
  explicit HmacSha256(std::string_view key) noexcept
      : HmacSha256(std::span{reinterpret_cast<std::uint8_t const*>(key.data()), key.size()}) {}

  /// The inner hash state after the ipad block; absorb more constant data into a copy of it
  /// to fold a constant message head into the midstate.
  [[nodiscard]] Sha256 const& inner() const noexcept { return inner_; }
  /// Finishes an HMAC whose inner hash (started from `inner()`) has absorbed the message.
  void finish(Sha256& inner, std::uint8_t* out32) const noexcept;
  /// One-shot HMAC of `msg`.
  void mac(std::string_view msg, std::uint8_t* out32) const noexcept;
  [[nodiscard]] Digest mac(std::string_view msg) const noexcept {
    Digest d;
    mac(msg, d.data());
    return d;
  }

 private:
  Sha256 inner_;
  Sha256 outer_;
};

/// Lower-case hex of `n` bytes into `out` (2n chars, no terminator).
void hex_lower(std::uint8_t const* in, std::size_t n, char* out) noexcept;
std::string hex_lower(std::span<std::uint8_t const> in);

/// Standard base64 with padding (RFC 4648 §4), and its strict decoder.
std::string base64_encode(std::span<std::uint8_t const> in);
/// Returns false on any character outside the alphabet, bad padding, or non-zero pad bits
/// in the last group (RFC 4648 §3.5: "Zh==" is refused, "Zg==" gives "f").
using ::presign::base64_decode;  // presign/core/base64.hpp

}  // namespace presign::signers::crypto
