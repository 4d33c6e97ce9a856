#pragma once
// When each of a client's outgoing QoS 1/2 PUBLISH packets was sent, by packet id, until its
// exchange ends. A direct-mapped table indexed by the low bits of the id: ids are handed out
// round-robin, so the ones in flight are close together and rarely collide; a collision doubles
// the table (at most 65536 slots). Memory follows the spread of ids in flight, not 65536 slots.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tern::bench {

class send_times {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // Remembers that the PUBLISH with packet id `id` (not 0) was sent at `sent`.
  void remember(std::uint16_t id, time_point sent);
  // When `id` was sent, if it is remembered.
  std::optional<time_point> find(std::uint16_t id) const noexcept;
  // Forgets `id` (its exchange ended).
  void forget(std::uint16_t id) noexcept;

 private:
  struct slot {
    std::uint16_t id = 0;  // 0: empty
    time_point sent{};
  };
  static constexpr std::size_t k_initial_slots = 32;
  static constexpr std::size_t k_max_slots = 65536;

  std::size_t index_of(std::uint16_t id) const noexcept {
    return std::size_t{id} & (slots_.size() - 1);
  }
  void grow();

  std::vector<slot> slots_;  // size 0 or a power of two
};

}  // namespace tern::bench
