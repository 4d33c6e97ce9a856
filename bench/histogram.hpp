#pragma once
// Log-linear latency histogram in the style of HdrHistogram: exact below 256, then 128 linear
// sub-buckets per power of two, so any recorded value is known to within 1/128 (< 0.8%). Fixed
// memory (about 35 KB); values of 2^40 or more (about 18 minutes in nanoseconds) are clamped.

#include <array>
#include <cstddef>
#include <cstdint>

namespace tern::bench {

class latency_histogram {
 public:
  static constexpr unsigned k_sub_bucket_bits = 7;  // 128 sub-buckets per power of two
  static constexpr unsigned k_max_value_bits = 40;

  void record(std::uint64_t value) noexcept;
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;
  // The smallest value that at least `percent` of the samples do not exceed, reported as the
  // highest value of its bucket (never above the largest recorded value). 0 when empty.
  std::uint64_t percentile(double percent) const noexcept;

  static std::size_t index_of(std::uint64_t value) noexcept;
  static std::uint64_t highest_equivalent(std::size_t index) noexcept;

 private:
  static constexpr std::size_t k_linear = std::size_t{1} << (k_sub_bucket_bits + 1);  // 256
  static constexpr std::size_t k_sub_buckets = std::size_t{1} << k_sub_bucket_bits;   // 128
  static constexpr std::size_t k_buckets =
      k_linear + (k_max_value_bits - k_sub_bucket_bits - 1) * k_sub_buckets;

  std::array<std::uint64_t, k_buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace tern::bench
