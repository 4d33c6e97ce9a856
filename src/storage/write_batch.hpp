#pragma once
// An ordered list of key-value changes that the store applies atomically: either all of them are
// durable or none is.
//
// Thread: built by one thread, then handed over whole.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "storage/records.hpp"

namespace tern::storage {

class write_batch {
 public:
  enum class op_kind : std::uint8_t { put, erase, erase_range };
  struct op {
    op_kind kind;
    bytes key;
    bytes value;  // put: the value; erase_range: the end of the range (exclusive)
  };

  void put(bytes key, bytes value) {
    bytes_ += key.size() + value.size();
    ops_.push_back({op_kind::put, std::move(key), std::move(value)});
  }
  void erase(bytes key) {
    bytes_ += key.size();
    ops_.push_back({op_kind::erase, std::move(key), {}});
  }
  void erase_range(bytes begin, bytes end) {
    bytes_ += begin.size() + end.size();
    ops_.push_back({op_kind::erase_range, std::move(begin), std::move(end)});
  }
  // Appends every change of `other` after this batch's own.
  void append(write_batch&& other) {
    bytes_ += other.bytes_;
    if (ops_.empty()) {
      ops_ = std::move(other.ops_);
    } else {
      ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
                  std::make_move_iterator(other.ops_.end()));
    }
    other.clear();
  }
  void clear() noexcept {
    ops_.clear();
    bytes_ = 0;
  }

  bool empty() const noexcept { return ops_.empty(); }
  std::size_t size() const noexcept { return ops_.size(); }
  std::size_t byte_size() const noexcept { return bytes_; }
  const std::vector<op>& ops() const noexcept { return ops_; }

 private:
  std::vector<op> ops_;
  std::size_t bytes_ = 0;
};

}  // namespace tern::storage
