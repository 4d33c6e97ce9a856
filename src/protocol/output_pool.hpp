#pragma once
// Output waiting for the socket, and the shard's spare ones. A session encodes into an output
// batch lent from the pool and the transport gives it back once written: an idle connection
// holds no output at all, and a busy one allocates none per write (the most recently returned
// batch, likely with room enough, is lent first). What the pool keeps is bounded in count and
// in bytes; a batch beyond either bound is freed instead.
//
// Thread: one shard's, like the sessions that use it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "protocol/message.hpp"

namespace tern::protocol {

// Encoded bytes, with large payloads referenced rather than copied: each payload goes on the
// wire right after bytes[0, offset).
struct output_batch {
  struct payload_ref {
    std::size_t offset;
    message_ptr owner;  // keeps the payload alive until written
  };
  std::vector<std::uint8_t> bytes;
  std::vector<payload_ref> payloads;
  std::size_t referenced_bytes = 0;  // the payloads' total size

  bool empty() const noexcept { return bytes.empty(); }
  // Bytes on the wire, referenced payloads included.
  std::size_t size() const noexcept { return bytes.size() + referenced_bytes; }
};
using output_ptr = std::unique_ptr<output_batch>;

class output_pool {
 public:
  static constexpr std::size_t k_max_batches = 1024;
  static constexpr std::size_t k_max_bytes = 4 * 1024 * 1024;

  output_pool();  // reserves its list: giving back never allocates

  // An empty batch, with room when the pool had one.
  output_ptr lend();
  // Takes `batch` back emptied (its payloads released at once); frees it when the pool is full.
  void give_back(output_ptr batch) noexcept;

  std::size_t size() const noexcept { return spare_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::vector<output_ptr> spare_;
  std::size_t bytes_ = 0;  // capacity of the spare batches' byte buffers
};

}  // namespace tern::protocol
