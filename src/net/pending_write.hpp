#pragma once
// A connection's write in flight: the session output it took and the gather list over it. A
// connection holds one only while writing; the shard keeps the spare ones, so idle connections
// carry none and busy ones reuse them without allocating.
//
// Thread: one shard's.

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <memory>
#include <vector>

#include "protocol/output_pool.hpp"

namespace tern::net {

struct pending_write {
  protocol::output_ptr batch;
  std::vector<boost::asio::const_buffer> gather;
  std::size_t size = 0;  // bytes in flight
};

class pending_write_pool {
 public:
  static constexpr std::size_t k_max_spare = 256;
  // A gather list longer than this is freed rather than kept.
  static constexpr std::size_t k_max_gather = 256;

  // Written output goes back to `outputs`, where the sessions borrow theirs.
  explicit pending_write_pool(protocol::output_pool& outputs);

  std::unique_ptr<pending_write> take();
  // Gives the written output back; keeps the object when there is room.
  void give_back(std::unique_ptr<pending_write> write) noexcept;

  std::size_t size() const noexcept { return spare_.size(); }

 private:
  protocol::output_pool& outputs_;
  std::vector<std::unique_ptr<pending_write>> spare_;
};

}  // namespace tern::net
