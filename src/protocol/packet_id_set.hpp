#pragma once
// Packet identifiers, as a set that allocates nothing until its first insert: the received QoS 2
// identifiers awaiting PUBREL, which most sessions never have (an empty open-addressing set is
// still 48 bytes). Once allocated it stays, so a QoS 2 publisher does not allocate per message.

#include <boost/unordered/unordered_flat_set.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tern::protocol {

class packet_id_set {
 public:
  bool contains(std::uint16_t id) const noexcept { return ids_ && ids_->contains(id); }
  std::size_t size() const noexcept { return ids_ ? ids_->size() : 0; }
  void insert(std::uint16_t id) { allocated().insert(id); }
  template <typename It>
  void insert(It first, It last) {
    if (first != last) allocated().insert(first, last);
  }
  // How many were removed: 0 or 1.
  std::size_t erase(std::uint16_t id) noexcept { return ids_ ? ids_->erase(id) : 0; }

 private:
  boost::unordered_flat_set<std::uint16_t>& allocated() {
    if (!ids_) ids_ = std::make_unique<boost::unordered_flat_set<std::uint16_t>>();
    return *ids_;
  }

  std::unique_ptr<boost::unordered_flat_set<std::uint16_t>> ids_;
};

}  // namespace tern::protocol
