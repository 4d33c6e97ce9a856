#pragma once
// The bare acknowledgement: PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success and no
// properties. It is the same four bytes at every protocol level (MQTT 5 omits a Success reason
// with no properties [MQTT-3.4.2.1]), and it is the commonest packet of a QoS 1/2 flow, so the
// session reads and writes it without building a packet.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "codec/types.hpp"

namespace tern::codec {

struct bare_ack {
  packet_type type;  // puback, pubrec, pubrel or pubcomp
  std::uint16_t packet_id;
};

// The bare acknowledgement `bytes` start with, if they do. Anything else, including an
// acknowledgement with packet identifier 0 or wrong flags, is left to decode() to accept or
// refuse.
std::optional<bare_ack> read_bare_ack(std::span<const std::uint8_t> bytes) noexcept;

// Appends a bare acknowledgement of `type` (puback, pubrec, pubrel or pubcomp).
void write_bare_ack(bare_ack ack, std::vector<std::uint8_t>& out);

}  // namespace tern::codec
