#include "completion_window.hpp"

#include <algorithm>
#include <bit>

namespace tern::bench {

void completion_window::configure(std::uint32_t window, std::uint32_t subscribers) {
  window_ = std::max<std::uint32_t>(window, 1);
  subscribers_ = std::max<std::uint32_t>(subscribers, 1);
  const auto capacity = std::bit_ceil(std::uint64_t{window_});
  counts_.assign(static_cast<std::size_t>(capacity), 0);
  mask_ = capacity - 1;
  completed_ = 0;
}

std::uint64_t completion_window::advance(std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t seq = std::max(from, completed_); seq < to; ++seq) {
    ++counts_[static_cast<std::size_t>(seq & mask_)];
  }
  const std::uint64_t before = completed_;
  while (completed_ < to && counts_[static_cast<std::size_t>(completed_ & mask_)] >= subscribers_) {
    counts_[static_cast<std::size_t>(completed_ & mask_)] = 0;
    ++completed_;
  }
  return completed_ - before;
}

void completion_window::abandon(std::uint64_t sent) {
  std::fill(counts_.begin(), counts_.end(), 0);
  completed_ = std::max(completed_, sent);
}

}  // namespace tern::bench
