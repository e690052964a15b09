#pragma once
/// A log-bucketed latency histogram (HdrHistogram's idea, small): 16 sub-buckets per power of
/// two from 1 ns to ~1,000 s, so any recorded value is reported within 1/16 (6.25 %).
/// Not thread-safe: the writer thread owns it.

#include <array>
#include <bit>
#include <cstdint>

namespace presign::engine {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;   // 16 sub-buckets per octave
  static constexpr int kOctaves = 40;  // 2^40 ns ≈ 18 minutes

  void record(std::uint64_t nanos, std::uint64_t count = 1) noexcept {
    counts_[index(nanos)] += count;
    total_ += count;
    if (nanos > max_) max_ = nanos;
  }

  [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }

  /// The value at quantile q (0..1): the upper edge of the bucket holding it (never below
  /// the true value, at most 6.25 % above it, capped at the maximum recorded).
  [[nodiscard]] std::uint64_t quantile(double q) const noexcept {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    if (rank >= total_) rank = total_ - 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) {
        std::uint64_t const edge = upper_edge(i);
        return edge < max_ ? edge : max_;
      }
    }
    return max_;
  }

 private:
  static std::size_t index(std::uint64_t v) noexcept {
    if (v < (1U << kSubBits)) return static_cast<std::size_t>(v);
    int const msb = 63 - std::countl_zero(v);  // >= kSubBits
    int const shift = msb - kSubBits;
    std::size_t const sub = static_cast<std::size_t>((v >> shift) & ((1U << kSubBits) - 1));
    std::size_t const i = static_cast<std::size_t>(shift + 1) * (1U << kSubBits) + sub;
    return i < kBuckets ? i : kBuckets - 1;
  }
  static std::uint64_t upper_edge(std::size_t i) noexcept {
    if (i < (1U << kSubBits)) return i;
    std::size_t const shift = i / (1U << kSubBits) - 1;
    std::uint64_t const sub = i % (1U << kSubBits);
    return (((std::uint64_t{1} << kSubBits) + sub + 1) << shift) - 1;
  }

  static constexpr std::size_t kBuckets = (kOctaves + 1) * (1U << kSubBits);
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace presign::engine
