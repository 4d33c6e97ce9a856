#include "protocol/memory_ledger.hpp"

#include <atomic>
#include <cstdlib>

namespace tern::protocol::memory_ledger {

namespace {
std::atomic<std::int64_t> g_published{0};
thread_local std::int64_t t_pending = 0;
}  // namespace

void add(std::int64_t delta) noexcept {
  t_pending += delta;
  if (t_pending >= k_batch || t_pending <= -k_batch) {
    g_published.fetch_add(t_pending, std::memory_order_relaxed);
    t_pending = 0;
  }
}

std::size_t used() noexcept {
  // Bytes added on one thread and released on another can leave the sum briefly negative.
  const auto total = g_published.load(std::memory_order_relaxed);
  return total > 0 ? static_cast<std::size_t>(total) : 0;
}

}  // namespace tern::protocol::memory_ledger
