#pragma once
// Spare byte buffers of one shard. A session encodes into a buffer lent from here and the
// transport gives it back once written: an idle connection holds no output buffer, and a busy
// one allocates none per write (the most recently returned buffer, likely large enough, is lent
// first). What the pool keeps is bounded in count and in bytes; a buffer beyond either bound is
// freed instead.
//
// Thread: one shard's, like the sessions that use it.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tern::protocol {

class buffer_pool {
 public:
  static constexpr std::size_t k_max_buffers = 1024;
  static constexpr std::size_t k_max_bytes = 4 * 1024 * 1024;

  buffer_pool();  // reserves its list: giving back never allocates

  // An empty buffer, with room when the pool had one.
  std::vector<std::uint8_t> lend() noexcept;
  // Takes `buffer` back (emptied); frees it when the pool is full.
  void give_back(std::vector<std::uint8_t>&& buffer) noexcept;

  std::size_t size() const noexcept { return spare_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::vector<std::vector<std::uint8_t>> spare_;
  std::size_t bytes_ = 0;  // capacity of the spare buffers
};

}  // namespace tern::protocol
