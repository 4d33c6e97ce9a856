#include "protocol/inflight_window.hpp"

#include <cstring>

namespace tern::protocol {

std::size_t inflight_window::find_id(std::uint16_t packet_id, std::size_t from) const noexcept {
  // Eight identifiers per compare (GCC/Clang vector extensions, SSE2 or NEON): the whole window
  // is searched for every fresh identifier, and windows run to hundreds of messages.
  using lanes = std::uint16_t __attribute__((vector_size(16)));
  constexpr std::size_t k_lanes = sizeof(lanes) / sizeof(std::uint16_t);
  const std::uint16_t* ids = ids_.data();
  const std::size_t n = ids_.size();
  std::size_t i = from;
  const lanes wanted = lanes{} + packet_id;
  for (; i + k_lanes <= n; i += k_lanes) {
    lanes block;
    std::memcpy(&block, ids + i, sizeof block);
    const auto equal = block == wanted;  // all ones in the lanes that match
    std::uint64_t halves[2];
    std::memcpy(halves, &equal, sizeof halves);
    if ((halves[0] | halves[1]) != 0) break;  // the scalar loop below finds which lane
  }
  for (; i < n; ++i) {
    if (ids[i] == packet_id) return i;
  }
  return n;
}

}  // namespace tern::protocol
