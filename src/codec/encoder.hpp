#pragma once
// MQTT encoding for every packet type and protocol level. MQTT 3.1/3.1.1 drop properties and
// translate reason codes to that level's return codes.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/packets.hpp"
#include "codec/types.hpp"

namespace tern::codec {

// Appends the wire form of `p` for `version` to `out` and returns the number of bytes written.
// Returns 0 (and leaves `out` unchanged) when the packet cannot be expressed: a body over the
// Remaining Length limit, a string over 65,535 bytes, or AUTH before MQTT 5.
std::size_t encode(const packet& p, protocol_version version, std::vector<std::uint8_t>& out);

// Appends a PUBLISH without its payload, for a payload of `payload_size` bytes that the caller
// writes after it (a shared buffer in a gather write). `p.payload` is ignored. Returns the size of
// the whole packet, payload included, or 0 as encode() does.
std::size_t encode_publish_head(const publish& p, std::size_t payload_size,
                                protocol_version version, std::vector<std::uint8_t>& out);

}  // namespace tern::codec
