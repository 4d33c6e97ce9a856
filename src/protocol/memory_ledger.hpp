#pragma once
// Approximate count of the bytes Tern holds for clients: messages in session queues and encoded
// output waiting for sockets. It feeds the max_memory ceiling.
//
// Model. Counting every allocation (malloc hooks) would cost on every hot path; instead the
// owners of the large, client-controlled buffers report their changes. Each thread sums its
// changes locally and publishes them to one shared counter once they exceed k_batch, so shard
// threads rarely touch the shared cache line. The total is therefore off by at most k_batch per
// thread, which is small against any useful ceiling.
//
// Thread: any; add() touches only the calling thread's batch and, rarely, one atomic.

#include <cstddef>
#include <cstdint>

namespace tern::protocol::memory_ledger {

inline constexpr std::int64_t k_batch = 64 * 1024;

// Records that the calling thread now holds `delta` more (or fewer) bytes.
void add(std::int64_t delta) noexcept;
// The accounted bytes of every thread, as far as published.
std::size_t used() noexcept;

}  // namespace tern::protocol::memory_ledger

namespace tern::protocol {

// A byte count that reports every change to the memory ledger, and gives its bytes back when it
// goes. Move-only, so a count is never reported twice.
class accounted_bytes {
 public:
  accounted_bytes() = default;
  accounted_bytes(const accounted_bytes&) = delete;
  accounted_bytes& operator=(const accounted_bytes&) = delete;
  accounted_bytes(accounted_bytes&& other) noexcept : value_(other.value_) { other.value_ = 0; }
  accounted_bytes& operator=(accounted_bytes&& other) noexcept {
    if (this != &other) {
      memory_ledger::add(-static_cast<std::int64_t>(value_));  // ours go; the other's move
      value_ = other.value_;
      other.value_ = 0;
    }
    return *this;
  }
  ~accounted_bytes() { memory_ledger::add(-static_cast<std::int64_t>(value_)); }

  accounted_bytes& operator+=(std::size_t n) noexcept {
    memory_ledger::add(static_cast<std::int64_t>(n));
    value_ += n;
    return *this;
  }
  accounted_bytes& operator-=(std::size_t n) noexcept {
    memory_ledger::add(-static_cast<std::int64_t>(n));
    value_ -= n;
    return *this;
  }
  // Sets the count to `n`, reporting the difference.
  void set(std::size_t n) noexcept {
    memory_ledger::add(static_cast<std::int64_t>(n) - static_cast<std::int64_t>(value_));
    value_ = n;
  }
  operator std::size_t() const noexcept { return value_; }  // NOLINT: reads like a size_t

 private:
  std::size_t value_ = 0;
};

}  // namespace tern::protocol
