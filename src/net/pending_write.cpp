#include "net/pending_write.hpp"

#include <utility>

namespace tern::net {

pending_write_pool::pending_write_pool(protocol::output_pool& outputs) : outputs_(outputs) {
  spare_.reserve(k_max_spare);
}

std::unique_ptr<pending_write> pending_write_pool::take() {
  if (spare_.empty()) return std::make_unique<pending_write>();
  auto write = std::move(spare_.back());
  spare_.pop_back();
  return write;
}

void pending_write_pool::give_back(std::unique_ptr<pending_write> write) noexcept {
  if (!write) return;
  outputs_.give_back(std::move(write->batch));
  write->gather.clear();
  write->size = 0;
  if (write->gather.capacity() > k_max_gather) write->gather = {};
  if (spare_.size() < k_max_spare) spare_.push_back(std::move(write));
}

}  // namespace tern::net
