#include "net/pending_write.hpp"

#include <utility>

namespace tern::net {

pending_write_pool::pending_write_pool(protocol::buffer_pool& buffers) : buffers_(buffers) {
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
  buffers_.give_back(std::move(write->batch.bytes));
  write->batch.bytes = {};
  write->batch.payloads.clear();  // the payloads are released now, not when reused
  write->gather.clear();
  if (write->gather.capacity() > k_max_gather) write->gather = {};
  if (write->batch.payloads.capacity() > k_max_gather) write->batch.payloads = {};
  if (spare_.size() < k_max_spare) spare_.push_back(std::move(write));
}

}  // namespace tern::net
