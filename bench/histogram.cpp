#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tern::bench {

std::size_t latency_histogram::index_of(std::uint64_t value) noexcept {
  constexpr std::uint64_t k_limit = (std::uint64_t{1} << k_max_value_bits) - 1;
  value = std::min(value, k_limit);
  if (value < k_linear) return static_cast<std::size_t>(value);
  // value has bit_width in [k_sub_bucket_bits + 2, k_max_value_bits]: keep its top 8 bits.
  const auto shift = static_cast<unsigned>(std::bit_width(value)) - (k_sub_bucket_bits + 1);
  const auto sub = static_cast<std::size_t>(value >> shift) - k_sub_buckets;
  return k_linear + (shift - 1) * k_sub_buckets + sub;
}

std::uint64_t latency_histogram::highest_equivalent(std::size_t index) noexcept {
  if (index < k_linear) return index;
  const std::size_t shift = (index - k_linear) / k_sub_buckets + 1;
  const std::uint64_t sub = (index - k_linear) % k_sub_buckets + k_sub_buckets;
  return ((sub + 1) << shift) - 1;
}

void latency_histogram::record(std::uint64_t value) noexcept {
  ++counts_[index_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value);
}

void latency_histogram::reset() noexcept {
  *this = latency_histogram{};
}

double latency_histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t latency_histogram::percentile(double percent) const noexcept {
  if (count_ == 0) return 0;
  const double wanted =
      std::ceil(std::clamp(percent, 0.0, 100.0) / 100.0 * static_cast<double>(count_));
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < k_buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_equivalent(i), max_);
  }
  return max_;
}

}  // namespace tern::bench
