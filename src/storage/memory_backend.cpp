#include "storage/memory_backend.hpp"

namespace tern::storage {

write_status memory_backend::write(const write_batch& batch, durability) {
  std::lock_guard lock(mutex_);
  if (full_) return write_status{false, true, "no space left on device (simulated)"};
  batch.for_each([this](const write_batch::op& op) {
    switch (op.kind) {
      case write_batch::op_kind::put:
      case write_batch::op_kind::put_new:
        data_[bytes(op.key)] = bytes(op.value);
        break;
      case write_batch::op_kind::erase:
        data_.erase(bytes(op.key));
        break;
      case write_batch::op_kind::merge_retained: {
        auto [it, fresh] = data_.try_emplace(bytes(op.key), bytes(op.value));
        if (!fresh) it->second = bytes(newer_retained(it->second, op.value));
        break;
      }
      case write_batch::op_kind::erase_range:
        data_.erase(data_.lower_bound(bytes(op.key)), data_.lower_bound(bytes(op.value)));
        break;
    }
  });
  ++writes_;
  return {};
}

bool memory_backend::recover() {
  std::lock_guard lock(mutex_);
  return !full_;
}

void memory_backend::scan(std::string_view prefix,
                          const std::function<bool(std::string_view, std::string_view)>& visit) {
  std::lock_guard lock(mutex_);
  for (auto it = data_.lower_bound(bytes(prefix));
       it != data_.end() && it->first.starts_with(prefix); ++it) {
    if (!visit(it->first, it->second)) return;
  }
}

bool memory_backend::read_range(
    std::string_view begin, std::string_view end,
    const std::function<bool(std::string_view, std::string_view)>& visit) {
  std::lock_guard lock(mutex_);
  for (auto it = data_.lower_bound(bytes(begin)); it != data_.end() && it->first < end; ++it) {
    if (!visit(it->first, it->second)) break;
  }
  return true;
}

void memory_backend::set_full(bool full) {
  std::lock_guard lock(mutex_);
  full_ = full;
}

std::size_t memory_backend::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

std::size_t memory_backend::key_count() const {
  std::lock_guard lock(mutex_);
  return data_.size();
}

std::map<bytes, bytes> memory_backend::contents() const {
  std::lock_guard lock(mutex_);
  return data_;
}

}  // namespace tern::storage
