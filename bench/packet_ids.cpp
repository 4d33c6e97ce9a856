#include "packet_ids.hpp"

namespace tern::bench {

namespace {
std::size_t word(std::uint16_t id) {
  return id / 64u;
}
std::uint64_t bit(std::uint16_t id) {
  return std::uint64_t{1} << (id % 64u);
}
}  // namespace

bool packet_id_set::contains(std::uint16_t id) const noexcept {
  return !bits_.empty() && (bits_[word(id)] & bit(id)) != 0;
}

bool packet_id_set::insert(std::uint16_t id) {
  if (id == 0) return false;
  if (bits_.empty()) bits_.assign(k_ids / 64, 0);
  if ((bits_[word(id)] & bit(id)) != 0) return false;
  bits_[word(id)] |= bit(id);
  ++size_;
  return true;
}

bool packet_id_set::erase(std::uint16_t id) {
  if (!contains(id)) return false;
  bits_[word(id)] &= ~bit(id);
  --size_;
  return true;
}

std::optional<std::uint16_t> packet_id_set::acquire() {
  if (size_ >= k_ids - 1) return std::nullopt;
  for (;;) {
    const std::uint16_t id = next_;
    next_ = static_cast<std::uint16_t>(next_ == 65535 ? 1 : next_ + 1);
    if (insert(id)) return id;
  }
}

}  // namespace tern::bench
