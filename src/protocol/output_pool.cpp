#include "protocol/output_pool.hpp"

#include <utility>

namespace tern::protocol {

namespace {
// A payload list longer than this is freed rather than kept.
constexpr std::size_t k_max_kept_payloads = 256;
}  // namespace

output_pool::output_pool() {
  spare_.reserve(k_max_batches);
}

output_ptr output_pool::lend() {
  if (spare_.empty()) return std::make_unique<output_batch>();
  auto batch = std::move(spare_.back());
  spare_.pop_back();
  bytes_ -= batch->bytes.capacity();
  return batch;
}

void output_pool::give_back(output_ptr batch) noexcept {
  if (!batch) return;
  batch->payloads.clear();
  batch->referenced_bytes = 0;
  const auto capacity = batch->bytes.capacity();
  if (spare_.size() >= k_max_batches || bytes_ + capacity > k_max_bytes) return;  // freed
  batch->bytes.clear();
  if (batch->payloads.capacity() > k_max_kept_payloads) batch->payloads = {};
  bytes_ += capacity;
  spare_.push_back(std::move(batch));
}

}  // namespace tern::protocol
