#pragma once
/// A bounded, lock-free reorder ring: many producers publish items tagged with a sequence
/// number, in any order; one consumer takes them strictly in sequence.
///
/// Written the way rigtorp's SPSCQueue is written: each index on its own cache line, every
/// memory order spelled out with the reason beside it.
///
/// Contract (what makes it lock-free and bounded):
/// - Sequence numbers are 0, 1, 2, ... without gaps; each is published exactly once.
/// - A producer may publish `seq` only after `wait_for_room(seq)` returned true, i.e. once
///   `seq < consumed() + capacity`. So at most `capacity` items are ever in the ring, slot
///   `seq % capacity` is always free when `seq` is published, and memory is bounded.
/// - One consumer thread calls `take(seq)` for seq = 0, 1, 2, ... and `release(seq)` when it
///   is done with the item, which frees room for `seq + capacity`.
/// Blocking waits use C++20 atomic wait/notify (a futex on Linux) after a short spin, so an
/// idle side sleeps instead of burning a core. `stop()` changes every awaited value, so a
/// stop can never be missed by a thread about to sleep.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace presign::engine {

// 64 bytes on every x86-64 and most AArch64 parts; std::hardware_destructive_interference_size
// is not stable across GCC versions (it warns), so the constant is spelled out.
inline constexpr std::size_t kCacheLineSize = 64;

template <class T>
class OrderedRing {
 public:
  /// `first_seq` is the first sequence number that will be published (non-zero on resume).
  explicit OrderedRing(std::size_t capacity, std::uint64_t first_seq = 0)
      : capacity_(capacity), slots_(std::make_unique<Slot[]>(capacity)), state_(first_seq << 1) {}

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// Blocks until `seq` fits (seq < consumed + capacity). Returns false if the ring was
  /// stopped first.
  bool wait_for_room(std::uint64_t seq) const noexcept {
    for (int spin = 0;; ++spin) {
      // acquire: pairs with the release in `release()`, so the consumer's last use of the
      // slot (and of the batch memory behind it) happens-before the producer reuses it.
      std::uint64_t const v = state_.load(std::memory_order_acquire);
      if (v & kStopped) return false;
      if (seq < (v >> 1) + capacity_) return true;
      if (spin < kSpins) continue;
      // Announce the sleep before re-checking (seq_cst on both sides, Dekker style): either
      // the releaser sees producers_waiting_ > 0 and notifies, or this thread sees its new
      // state. The wait itself only sleeps while state_ still equals v.
      producers_waiting_.fetch_add(1, std::memory_order_seq_cst);
      if (state_.load(std::memory_order_seq_cst) == v) state_.wait(v, std::memory_order_acquire);
      producers_waiting_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  /// Publishes `item` as number `seq`. Never blocks (room was granted by wait_for_room).
  void publish(std::uint64_t seq, T* item) noexcept {
    Slot& s = slots_[seq % capacity_];
    // release: everything the producer wrote into *item happens-before the consumer's
    // acquire load of the pointer in take().
    s.item.store(item, std::memory_order_seq_cst);
    // Only a sleeping consumer needs the (system-call) notify; see take() for the ordering.
    if (consumer_waiting_.load(std::memory_order_seq_cst)) s.item.notify_one();
  }

  /// Consumer only: blocks until item `seq` is published and returns it, or returns nullptr
  /// if the ring was stopped first.
  T* take(std::uint64_t seq) noexcept {
    Slot& s = slots_[seq % capacity_];
    for (int spin = 0;; ++spin) {
      // acquire: pairs with the release in publish().
      T* p = s.item.load(std::memory_order_acquire);
      if (p == stop_marker()) return nullptr;
      if (p != nullptr) return p;
      if (spin < kSpins) continue;
      // Same protocol as wait_for_room: announce, re-check, then sleep while still empty
      // (stop() swaps nullptr for the marker, which also ends the sleep).
      consumer_waiting_.store(true, std::memory_order_seq_cst);
      if (s.item.load(std::memory_order_seq_cst) == nullptr)
        s.item.wait(nullptr, std::memory_order_acquire);
      consumer_waiting_.store(false, std::memory_order_relaxed);
    }
  }

  /// Consumer only: item `seq` if it is already published, else nullptr (never blocks).
  T* try_take(std::uint64_t seq) noexcept {
    // acquire: pairs with the release in publish().
    T* p = slots_[seq % capacity_].item.load(std::memory_order_acquire);
    return p == stop_marker() ? nullptr : p;
  }

  /// Consumer only: done with item `seq`; frees its slot for `seq + capacity`.
  void release(std::uint64_t seq) noexcept {
    (void)seq;  // sequence numbers are released in order; the count is the state
    // relaxed: no producer touches this slot before it observes the state_ update below,
    // which is a release that orders this store before it.
    slots_[seq % capacity_].item.store(nullptr, std::memory_order_relaxed);
    // fetch_add keeps a concurrent stop bit (a store could erase it).
    state_.fetch_add(2, std::memory_order_seq_cst);
    if (producers_waiting_.load(std::memory_order_seq_cst) != 0) state_.notify_all();
  }

  /// Makes every current and future wait return (false / nullptr). Items already published
  /// stay where they are; the ring cannot be restarted.
  void stop() noexcept {
    state_.fetch_or(kStopped, std::memory_order_acq_rel);
    state_.notify_all();
    for (std::size_t i = 0; i < capacity_; ++i) {
      T* expected = nullptr;
      slots_[i].item.compare_exchange_strong(expected, stop_marker(), std::memory_order_acq_rel);
      slots_[i].item.notify_all();
    }
  }

  [[nodiscard]] bool stopped() const noexcept {
    return (state_.load(std::memory_order_acquire) & kStopped) != 0;
  }

  /// Items released so far plus the first sequence number.
  [[nodiscard]] std::uint64_t consumed() const noexcept {
    return state_.load(std::memory_order_acquire) >> 1;
  }

 private:
  static constexpr std::uint64_t kStopped = 1;
  // Spins before sleeping: a batch takes ~1 ms to sign, so a short spin catches hand-offs
  // that are about to happen without a system call, and longer waits sleep.
  static constexpr int kSpins = 256;
  // A non-null pointer no producer can publish: marks empty slots of a stopped ring.
  static T* stop_marker() noexcept {
    static T marker{};
    return &marker;
  }

  // Each slot on its own line: producers on different cores publish neighbouring sequence
  // numbers at the same time, and sharing a line would bounce it between them.
  struct alignas(kCacheLineSize) Slot {
    std::atomic<T*> item{nullptr};
  };

  std::size_t const capacity_;
  std::unique_ptr<Slot[]> slots_;
  // (consumed << 1) | stopped. The consumer updates it once per item and every producer
  // reads it: its own line keeps those reads from invalidating the slots or other data.
  alignas(kCacheLineSize) std::atomic<std::uint64_t> state_;
  // Sleeping producers (written by producers, read by the consumer on every release).
  alignas(kCacheLineSize) mutable std::atomic<std::uint32_t> producers_waiting_{0};
  // Whether the consumer sleeps (written by the consumer, read by every publish).
  alignas(kCacheLineSize) std::atomic<bool> consumer_waiting_{false};
};

}  // namespace presign::engine
