#pragma once
/// Finding repeated keys among up to hundreds of millions without keeping the keys: a set of
/// 128-bit key hashes in one open-addressing table (linear probing, 16 bytes per slot, at most
/// 3/4 full: 21 to 43 bytes per distinct key, e.g. 2 GiB for 100 M keys).
///
/// False positives: two different keys are taken for the same one only if both 64-bit halves
/// of their hashes agree. An insertion compares its hash with the few entries of its probe
/// run, so over n insertions the expected number of false matches is at most
/// (n^2 / 2) * 2^-128 even when counting every pair: below 1.5e-23 for n = 10^8. (A 64-bit
/// hash would give n^2 / 2^65, 2.7e-4 for 10^8 keys: a visible false alarm now and then.)

#include <cstdint>
#include <string_view>
#include <vector>

namespace presign::io {

/// Two 64-bit hashes of one key, from independent seeds and multipliers (wyhash-style
/// 64x64->128 multiply-fold mixes; not cryptographic, fast for the short keys of key files).
struct KeyHash {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  friend bool operator==(KeyHash const&, KeyHash const&) = default;
};
KeyHash hash_key(std::string_view key) noexcept;

class KeyHashSet {
 public:
  /// Adds `h`; returns true if it was present already (the key repeats an earlier one).
  bool insert(KeyHash h);
  /// Hints the cache about the slot `h` will probe first (call a few keys ahead of insert).
  void prefetch(KeyHash const& h) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h.lo & mask_]);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  void grow();
  std::vector<KeyHash> slots_;  // {0, 0} marks an empty slot (a real {0, 0} is stored as {0, 1})
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace presign::io
