#include "protocol/buffer_pool.hpp"

#include <utility>

namespace tern::protocol {

buffer_pool::buffer_pool() {
  spare_.reserve(k_max_buffers);
}

std::vector<std::uint8_t> buffer_pool::lend() noexcept {
  if (spare_.empty()) return {};
  auto buffer = std::move(spare_.back());
  spare_.pop_back();
  bytes_ -= buffer.capacity();
  return buffer;
}

void buffer_pool::give_back(std::vector<std::uint8_t>&& buffer) noexcept {
  const auto capacity = buffer.capacity();
  if (capacity == 0 || spare_.size() >= k_max_buffers || bytes_ + capacity > k_max_bytes) {
    std::vector<std::uint8_t>{}.swap(buffer);  // freed
    return;
  }
  buffer.clear();
  bytes_ += capacity;
  spare_.push_back(std::move(buffer));
}

}  // namespace tern::protocol
