#include "net/limit_counters.hpp"

#include <spdlog/spdlog.h>

namespace tern::net {

std::uint64_t limit_counters::count_and_claim_log(
    protocol::limit_event event, std::chrono::steady_clock::time_point now) noexcept {
  auto& k = kinds_[static_cast<std::size_t>(event)];
  k.count.fetch_add(1, std::memory_order_relaxed);
  const auto unlogged = k.unlogged.fetch_add(1, std::memory_order_relaxed) + 1;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto next = k.next_log_ms.load(std::memory_order_relaxed);
  if (next != 0 && now_ms < next) return 0;
  // One thread wins the right to log this interval.
  if (!k.next_log_ms.compare_exchange_strong(next, now_ms + k_log_interval.count(),
                                             std::memory_order_relaxed)) {
    return 0;
  }
  k.unlogged.fetch_sub(unlogged, std::memory_order_relaxed);
  return unlogged;
}

void limit_counters::log(protocol::limit_event event, std::string_view detail,
                         std::uint64_t times) {
  if (times > 1) {
    spdlog::warn("limit reached: {}: {} ({} times since the last report)",
                 protocol::to_string(event), detail, times);
  } else {
    spdlog::warn("limit reached: {}: {}", protocol::to_string(event), detail);
  }
}

std::uint64_t limit_counters::count(protocol::limit_event event) const noexcept {
  return kinds_[static_cast<std::size_t>(event)].count.load(std::memory_order_relaxed);
}

}  // namespace tern::net
