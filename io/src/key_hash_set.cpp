#include "presign/io/key_hash_set.hpp"

#include <cstring>

namespace presign::io {

namespace {

__extension__ typedef unsigned __int128 U128;

inline std::uint64_t fold(std::uint64_t a, std::uint64_t b) noexcept {
  U128 const r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t load64(char const* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// wyhash's constants for one lane, splitmix64's for the other: two unrelated mixes.
constexpr std::uint64_t kA0 = 0xa0761d6478bd642fULL, kA1 = 0xe7037ed1a0b428dbULL;
constexpr std::uint64_t kB0 = 0x9e3779b97f4a7c15ULL, kB1 = 0xbf58476d1ce4e5b9ULL;

}  // namespace

KeyHash hash_key(std::string_view key) noexcept {
  char const* p = key.data();
  std::size_t n = key.size();
  std::uint64_t a = fold(n ^ kA0, kA1);
  std::uint64_t b = fold(n ^ kB0, kB1);
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t const w = load64(p);
    a = fold(a ^ w, kA1);
    b = fold(b ^ w ^ kB0, kB1);
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    a = fold(a ^ w ^ kA0, kA1);
    b = fold(b ^ w, kB1 ^ kB0);
  }
  return KeyHash{fold(a, kA0 ^ kA1), fold(b, kB0 ^ kB1)};
}

bool KeyHashSet::insert(KeyHash h) {
  if (h.lo == 0 && h.hi == 0) h.hi = 1;
  if ((size_ + 1) * 4 > slots_.size() * 3) grow();
  for (std::size_t i = h.lo & mask_;; i = (i + 1) & mask_) {
    KeyHash& s = slots_[i];
    if (s.lo == 0 && s.hi == 0) {
      s = h;
      ++size_;
      return false;
    }
    if (s == h) return true;
  }
}

void KeyHashSet::grow() {
  std::vector<KeyHash> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? std::size_t{1} << 16 : old.size() * 2, KeyHash{});
  mask_ = slots_.size() - 1;
  for (KeyHash const& h : old) {
    if (h.lo == 0 && h.hi == 0) continue;
    std::size_t i = h.lo & mask_;
    while (slots_[i].lo != 0 || slots_[i].hi != 0) i = (i + 1) & mask_;
    slots_[i] = h;
  }
}

}  // namespace presign::io
