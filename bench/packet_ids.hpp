#pragma once
// A set of MQTT packet identifiers (1..65535) with allocation of unused ones. Storage (8 KB) is
// taken on first use, so connections that never need ids pay nothing.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tern::bench {

class packet_id_set {
 public:
  // Takes an id not in the set, round-robin so a freed id is not reused at once.
  std::optional<std::uint16_t> acquire();
  // Adds `id`; false if it was already present.
  bool insert(std::uint16_t id);
  // Removes `id`; false if it was not present.
  bool erase(std::uint16_t id);
  bool contains(std::uint16_t id) const noexcept;
  std::size_t size() const noexcept { return size_; }

 private:
  static constexpr std::size_t k_ids = 65536;
  std::vector<std::uint64_t> bits_;
  std::size_t size_ = 0;
  std::uint16_t next_ = 1;
};

}  // namespace tern::bench
