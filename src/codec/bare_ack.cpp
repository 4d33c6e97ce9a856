#include "codec/bare_ack.hpp"

namespace tern::codec {

namespace {

// The first byte: packet type and the flags each type requires (PUBREL: 0b0010).
constexpr std::uint8_t first_byte(packet_type type) noexcept {
  const auto byte = static_cast<std::uint8_t>(static_cast<std::uint8_t>(type) << 4);
  return type == packet_type::pubrel ? static_cast<std::uint8_t>(byte | 0x02) : byte;
}

}  // namespace

std::optional<bare_ack> read_bare_ack(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < 4 || bytes[1] != 2) return std::nullopt;  // Remaining Length 2
  const auto type = static_cast<packet_type>(bytes[0] >> 4);
  if (type < packet_type::puback || type > packet_type::pubcomp) return std::nullopt;
  if (bytes[0] != first_byte(type)) return std::nullopt;
  const auto id = static_cast<std::uint16_t>((bytes[2] << 8) | bytes[3]);
  if (id == 0) return std::nullopt;
  return bare_ack{type, id};
}

void write_bare_ack(bare_ack ack, std::vector<std::uint8_t>& out) {
  out.push_back(first_byte(ack.type));
  out.push_back(2);
  out.push_back(static_cast<std::uint8_t>(ack.packet_id >> 8));
  out.push_back(static_cast<std::uint8_t>(ack.packet_id & 0xFF));
}

}  // namespace tern::codec
