#pragma once
// The buffers of a connection's write in flight: the session output it took and the gather list
// over it. A connection holds one only while writing; the shard keeps the spare ones, so idle
// connections carry none and busy ones reuse them without allocating.
//
// Thread: one shard's.

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <memory>
#include <vector>

#include "protocol/buffer_pool.hpp"
#include "protocol/session.hpp"

namespace tern::net {

struct pending_write {
  protocol::output_batch batch;
  std::vector<boost::asio::const_buffer> gather;
};

class pending_write_pool {
 public:
  static constexpr std::size_t k_max_spare = 256;
  // A gather list longer than this is freed rather than kept.
  static constexpr std::size_t k_max_gather = 256;

  // Written bytes go back to `buffers`, where the sessions borrow theirs.
  explicit pending_write_pool(protocol::buffer_pool& buffers);

  std::unique_ptr<pending_write> take();
  // Releases the write's payloads and buffers; keeps the object when there is room.
  void give_back(std::unique_ptr<pending_write> write) noexcept;

  std::size_t size() const noexcept { return spare_.size(); }

 private:
  protocol::buffer_pool& buffers_;
  std::vector<std::unique_ptr<pending_write>> spare_;
};

}  // namespace tern::net
