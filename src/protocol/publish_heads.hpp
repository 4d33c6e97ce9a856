#pragma once
// Encoded-once PUBLISH heads for fan-out. A message going to many subscribers is encoded once
// per layout (protocol family, QoS, RETAIN) on each shard; each delivery then copies that head
// and patches its packet identifier and DUP flag. The payload is never part of the head.
//
// Only for deliveries whose head does not depend on the subscriber: MQTT 3.1/3.1.1, or MQTT 5
// without subscription identifiers, message expiry or a topic alias.
//
// Thread: the cache is per thread (one per shard), so no locking.

#include <cstdint>
#include <vector>

#include "codec/types.hpp"
#include "protocol/message.hpp"

namespace tern::protocol {

// Appends the head of a PUBLISH of `msg` and returns the size of the whole packet (payload
// included), or 0 when it cannot be encoded.
std::size_t append_publish_head(const message_ptr& msg, codec::protocol_version version,
                                codec::qos qos_level, bool retain, bool dup,
                                std::uint16_t packet_id, std::vector<std::uint8_t>& out);

}  // namespace tern::protocol
