#pragma once
// An ordered list of key-value changes that the store applies atomically: either all of them are
// durable or none is.
//
// The changes are encoded back to back in one buffer (kind, key length, key, value length,
// value), so building a batch costs no allocation per change and merging batches is one append.
//
// Thread: built by one thread, then handed over whole.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::storage {

class write_batch {
 public:
  // put_new is a put of a key the store cannot hold yet (a fresh identity): an erase of it later
  // in the same commit cancels both, so short-lived records never reach the disk.
  // merge_retained: a retained value that replaces the stored one only if it is newer (see
  // records.hpp), so concurrent shards may commit a topic's changes in any order.
  enum class op_kind : std::uint8_t { put, erase, erase_range, put_new, merge_retained };
  struct op {
    op_kind kind;
    std::string_view key;
    std::string_view value;  // put: the value; erase_range: the end of the range (exclusive)
  };

  void put(std::string_view key, std::string_view value) { add(op_kind::put, key, value); }
  void put_new(std::string_view key, std::string_view value) { add(op_kind::put_new, key, value); }
  // A put whose value `encode(std::string& out)` appends in place, without a buffer of its own.
  template <typename Encode>
  void put_encoded(std::string_view key, bool is_new, Encode&& encode) {
    add_encoded(is_new ? op_kind::put_new : op_kind::put, key, std::forward<Encode>(encode));
  }
  void erase(std::string_view key) { add(op_kind::erase, key, {}); }
  void merge_retained(std::string_view key, std::string_view value) {
    add(op_kind::merge_retained, key, value);
  }
  void erase_range(std::string_view begin, std::string_view end) {
    add(op_kind::erase_range, begin, end);
  }
  // Appends every change of `other` after this batch's own.
  void append(write_batch&& other) {
    if (buffer_.empty()) {
      buffer_.swap(other.buffer_);
    } else {
      buffer_.append(other.buffer_);
    }
    count_ += other.count_;
    other.clear();
  }
  void clear() noexcept {
    buffer_.clear();
    count_ = 0;
  }
  // Room for `byte_count` bytes of changes: a batch filled to its predecessor's size then
  // grows its buffer once.
  void reserve(std::size_t byte_count) { buffer_.reserve(byte_count); }

  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  std::size_t byte_size() const noexcept { return buffer_.size(); }

  // Calls fn(const op&) for every change, in order. The views point into this batch.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    std::size_t pos = 0;
    while (pos < buffer_.size()) {
      op o{static_cast<op_kind>(buffer_[pos]), {}, {}};
      ++pos;
      o.key = read_field(pos);
      o.value = read_field(pos);
      fn(o);
    }
  }
  // Removes every put_new whose key is erased later in the batch, with that erase and any put of
  // the key in between. Returns the number of changes removed.
  std::size_t cancel_short_lived();
  // Replaces every run of two or more back-to-back erases of consecutive id keys (the same
  // prefix, then ids n, n+1, ... as 8 big-endian bytes) by one erase_range over them: a
  // subscriber acknowledging in order erases its entries this way, and RocksDB keeps one range
  // tombstone where it would keep one tombstone per entry. `id_keyed` says which keys end in an
  // id with no other key of the store between two consecutive ids. Returns the number of
  // erases folded away.
  std::size_t coalesce_erase_runs(bool (*id_keyed)(std::string_view key));

  std::vector<op> ops() const {
    std::vector<op> out;
    out.reserve(count_);
    for_each([&out](const op& o) { out.push_back(o); });
    return out;
  }

 private:
  void add(op_kind kind, std::string_view key, std::string_view value) {
    add_encoded(kind, key, [value](std::string& out) { out.append(value); });
  }
  // A change whose value `encode(std::string& out)` appends; its length is filled in after.
  template <typename Encode>
  void add_encoded(op_kind kind, std::string_view key, Encode&& encode) {
    buffer_.push_back(static_cast<char>(kind));
    write_field(key);
    const auto length_at = buffer_.size();
    buffer_.append(sizeof(std::uint32_t), '\0');
    encode(buffer_);
    const auto length =
        static_cast<std::uint32_t>(buffer_.size() - length_at - sizeof(std::uint32_t));
    std::memcpy(buffer_.data() + length_at, &length, sizeof length);
    ++count_;
  }
  void write_field(std::string_view field) {
    const auto length = static_cast<std::uint32_t>(field.size());
    char prefix[sizeof length];
    std::memcpy(prefix, &length, sizeof length);
    buffer_.append(prefix, sizeof prefix);
    buffer_.append(field);
  }
  std::string_view read_field(std::size_t& pos) const {
    std::uint32_t length = 0;
    std::memcpy(&length, buffer_.data() + pos, sizeof length);
    pos += sizeof length;
    const std::string_view field(buffer_.data() + pos, length);
    pos += length;
    return field;
  }

  std::string buffer_;
  std::size_t count_ = 0;
};

}  // namespace tern::storage
