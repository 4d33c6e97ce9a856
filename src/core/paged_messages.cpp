#include "core/paged_messages.hpp"

namespace tern::core {

void paged_messages::page_out(const protocol::message_ptr& msg) {
  std::lock_guard lock(mutex_);
  auto& it = items_[msg->store_id];
  ++it.paged;
  if (it.live.expired()) it.live = msg;
  count_.store(items_.size(), std::memory_order_relaxed);
}

protocol::message_ptr paged_messages::page_in(std::uint64_t id,
                                              const std::function<protocol::message_ptr()>& load) {
  std::lock_guard lock(mutex_);  // held while loading: no second copy of the message appears
  auto found = items_.find(id);
  protocol::message_ptr msg = found != items_.end() ? found->second.live.lock() : nullptr;
  if (!msg) msg = load();
  if (!msg) return nullptr;
  auto& it = items_[id];
  if (it.paged > 0) --it.paged;
  it.live = msg;
  count_.store(items_.size(), std::memory_order_relaxed);
  return msg;
}

bool paged_messages::release(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto found = items_.find(id);
  if (found == items_.end()) return false;
  if (found->second.paged > 0) --found->second.paged;
  if (found->second.paged > 0 || !found->second.live.expired()) return false;
  items_.erase(found);
  count_.store(items_.size(), std::memory_order_relaxed);
  return true;
}

bool paged_messages::reclaimable(std::uint64_t id) {
  if (count_.load(std::memory_order_relaxed) == 0) return true;
  std::lock_guard lock(mutex_);
  auto found = items_.find(id);
  if (found == items_.end()) return true;
  // Still paged, or read back meanwhile into a new object that now holds the record.
  if (found->second.paged > 0 || !found->second.live.expired()) return false;
  items_.erase(found);
  count_.store(items_.size(), std::memory_order_relaxed);
  return true;
}

std::size_t paged_messages::size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

}  // namespace tern::core
