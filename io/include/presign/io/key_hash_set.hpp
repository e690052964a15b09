#pragma once
/// Finding repeated keys among up to hundreds of millions without keeping the keys: a set of
/// key hashes in one open-addressing table (linear probing) of 8-byte slots, at most 3/4 full:
/// 10.7 to 21 bytes per distinct key, 1 GiB for 100 M keys.
///
/// Each key has a 128-bit hash {lo, hi}. A slot keeps 72 of its bits without storing them
/// all: the low 16 bits of lo are the key's home slot (recovered from the slot's position and
/// the probe distance stored with it), the other 48 bits of lo and 8 bits of hi are stored.
/// So the table can grow (every entry's lo is known again) and a match means 72 equal bits.
///
/// False positives: two different keys are taken for the same one only if those 72 bits agree.
/// Counting every pair of n keys (more than the probe runs really compare), the expected number
/// of false matches is at most n^2 / 2 * 2^-72: 1.1e-6 for n = 10^8, 1.1e-8 for 10^7.
/// (A plain 64-bit hash in the same space would give n^2 / 2^65: 2.7e-4 for 10^8 keys.)

#include <cstdint>
#include <string_view>

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
  KeyHashSet() = default;
  ~KeyHashSet();
  KeyHashSet(KeyHashSet const&) = delete;
  KeyHashSet& operator=(KeyHashSet const&) = delete;

  /// Adds `h`; returns true if it was present already (the key repeats an earlier one).
  /// When the table cannot grow (no memory), the set stops adding and answers false:
  /// see `full()`.
  bool insert(KeyHash h);
  /// Hints the cache about the slot `h` will probe first (call a few keys ahead of insert).
  void prefetch(KeyHash const& h) const noexcept {
    if (slots_ != nullptr) __builtin_prefetch(&slots_[h.lo & mask_]);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The table could not grow: keys after the first `size()` distinct ones are not checked.
  [[nodiscard]] bool full() const noexcept { return full_; }

 private:
  bool grow();
  // Anonymous mmap (zero pages, mapped on first touch, transparent huge pages asked for:
  // random probes into a table of hundreds of MB would otherwise miss the TLB every time).
  // A slot: bits 0-7 probe distance + 1 (0: empty), 8-55 lo >> 16, 56-63 hi & 0xff.
  std::uint64_t* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  bool full_ = false;
};

}  // namespace presign::io
