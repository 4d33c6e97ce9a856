#include "open_loop_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace tern::bench {

open_loop_schedule::open_loop_schedule(double total_rate, std::uint32_t publishers) noexcept
    : interval_ns_(1e9 / total_rate), publishers_(std::max<std::uint32_t>(publishers, 1)) {}

std::uint64_t open_loop_schedule::time_of(std::uint64_t j) const noexcept {
  return t0_ns_ + static_cast<std::uint64_t>(std::floor(static_cast<double>(j) * interval_ns_));
}

std::uint64_t open_loop_schedule::due_by(std::uint64_t now_ns) const noexcept {
  if (now_ns < t0_ns_) return 0;
  auto due = static_cast<std::uint64_t>(static_cast<double>(now_ns - t0_ns_) / interval_ns_) + 1;
  // Agree exactly with time_of() despite rounding: due = #{ j : time_of(j) <= now }.
  while (time_of(due) <= now_ns) ++due;
  while (due > 0 && time_of(due - 1) > now_ns) --due;
  return due;
}

}  // namespace tern::bench
