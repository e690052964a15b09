#include "presign/io/key_hash_set.hpp"

#include <cstring>
#include <sys/mman.h>

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

namespace {

constexpr std::uint64_t kMaxDistance = 254;  // fits bits 0-7 as distance + 1
constexpr std::uint64_t kLoMask = 0xffff;    // lo bits implied by the home slot (tables >= 2^16)

std::uint64_t* map_slots(std::size_t n) noexcept {
  std::size_t const bytes = n * sizeof(std::uint64_t);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (bytes >= (std::size_t{2} << 20)) (void)::madvise(p, bytes, MADV_HUGEPAGE);
  return static_cast<std::uint64_t*>(p);
}

void unmap_slots(std::uint64_t* p, std::size_t n) noexcept {
  if (p != nullptr) ::munmap(p, n * sizeof(std::uint64_t));
}

// The stored bits of a hash, without the distance byte.
inline std::uint64_t tag_of(std::uint64_t lo, std::uint64_t hi) noexcept {
  return ((lo >> 16) << 8) | (hi << 56);
}

// Puts a key known to be absent into `slots`; false when its probe run would exceed
// kMaxDistance (the caller grows the table).
bool place(std::uint64_t* slots, std::size_t mask, std::uint64_t lo, std::uint64_t tag) noexcept {
  std::size_t i = lo & mask;
  for (std::uint64_t d = 0; d <= kMaxDistance; ++d, i = (i + 1) & mask) {
    if (slots[i] == 0) {
      slots[i] = tag | (d + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

KeyHashSet::~KeyHashSet() { unmap_slots(slots_, capacity_); }

bool KeyHashSet::insert(KeyHash h) {
  if (full_) return false;
  if ((size_ + 1) * 4 > capacity_ * 3 && !grow()) return false;
  std::uint64_t const tag = tag_of(h.lo, h.hi);
  for (;;) {
    std::size_t i = h.lo & mask_;
    for (std::uint64_t d = 0; d <= kMaxDistance; ++d, i = (i + 1) & mask_) {
      std::uint64_t const w = slots_[i];
      if (w == 0) {
        slots_[i] = tag | (d + 1);
        ++size_;
        return false;
      }
      if (w == (tag | (d + 1))) return true;  // same home slot, same stored bits
    }
    if (!grow()) return false;  // a probe run too long to record: make room
  }
}

bool KeyHashSet::grow() {
  std::size_t capacity = capacity_ == 0 ? std::size_t{1} << 16 : capacity_ * 2;
  for (;;) {
    // 2^36 slots would be 512 GiB: only hashes built to collide get here.
    std::uint64_t* const slots = capacity > (std::size_t{1} << 36) ? nullptr : map_slots(capacity);
    if (slots == nullptr) {
      full_ = true;
      return false;
    }
    std::size_t const mask = capacity - 1;
    bool placed = true;
    for (std::size_t k = 0; k < capacity_ && placed; ++k) {
      std::uint64_t const w = slots_[k];
      if (w == 0) continue;
      std::size_t const home = (k - ((w & 0xff) - 1)) & mask_;
      std::uint64_t const lo = (((w >> 8) & 0xffffffffffffULL) << 16) | (home & kLoMask);
      placed = place(slots, mask, lo, w & ~std::uint64_t{0xff});
    }
    if (!placed) {  // (practically never) a probe run too long even here: larger still
      unmap_slots(slots, capacity);
      capacity *= 2;
      continue;
    }
    unmap_slots(slots_, capacity_);
    slots_ = slots;
    capacity_ = capacity;
    mask_ = mask;
    return true;
  }
}

}  // namespace presign::io
