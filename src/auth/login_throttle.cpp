#include "auth/login_throttle.hpp"

#include <algorithm>

namespace tern::auth {

std::chrono::milliseconds login_throttle::on_failure(const std::string& address,
                                                     clock::time_point now) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (by_address_.size() >= settings_.max_addresses && !by_address_.contains(address)) evict(now);
  auto& r = by_address_[address];
  if (r.recent > 0 && now - r.last > settings_.decay) r.recent = 0;
  r.recent = std::min<std::uint32_t>(r.recent + 1, 32);
  r.last = now;
  auto delay = settings_.first_delay;
  for (std::uint32_t i = 1; i < r.recent && delay < settings_.max_delay; ++i) delay *= 2;
  return std::min(delay, settings_.max_delay);
}

void login_throttle::evict(clock::time_point now) {
  std::erase_if(by_address_,
                [&](const auto& entry) { return now - entry.second.last > settings_.decay; });
  if (by_address_.size() < settings_.max_addresses) return;
  // All recent: the quietest address goes.
  const auto oldest =
      std::min_element(by_address_.begin(), by_address_.end(),
                       [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
  by_address_.erase(oldest);
}

}  // namespace tern::auth
