#include "codec/packets.hpp"

namespace tern::codec {

packet_type type_of(const packet& p) noexcept {
  // The variant lists packet types in wire order, starting at CONNECT = 1.
  return static_cast<packet_type>(p.index() + 1);
}

}  // namespace tern::codec
