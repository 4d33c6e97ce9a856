#include "send_times.hpp"

#include <utility>

namespace tern::bench {

void send_times::remember(std::uint16_t id, time_point sent) {
  if (id == 0) return;
  if (slots_.empty()) slots_.resize(k_initial_slots);
  for (;;) {
    auto& s = slots_[index_of(id)];
    // A full-size table has a slot for every id, so this ends.
    if (s.id == 0 || s.id == id || slots_.size() == k_max_slots) {
      s = {id, sent};
      return;
    }
    grow();
  }
}

std::optional<send_times::time_point> send_times::find(std::uint16_t id) const noexcept {
  if (id == 0 || slots_.empty()) return std::nullopt;
  const auto& s = slots_[index_of(id)];
  if (s.id != id) return std::nullopt;
  return s.sent;
}

void send_times::forget(std::uint16_t id) noexcept {
  if (id == 0 || slots_.empty()) return;
  auto& s = slots_[index_of(id)];
  if (s.id == id) s = slot{};
}

void send_times::grow() {
  // Ids apart in the low n bits stay apart in the low n + 1 bits: no collisions while moving.
  std::vector<slot> old = std::exchange(slots_, std::vector<slot>(slots_.size() * 2));
  for (const auto& s : old) {
    if (s.id != 0) slots_[index_of(s.id)] = s;
  }
}

}  // namespace tern::bench
