#pragma once
// Precise decoding errors. ONE mapping (to_reason_code) turns them into the spec's reason code.

#include <cstdint>
#include <string_view>

#include "codec/reason_code.hpp"

namespace tern::codec {

enum class decode_error : std::uint8_t {
  none,
  malformed_remaining_length,    // more than 4 bytes or not minimal [MQTT-1.5.5-1]
  malformed_varint,              // a variable byte integer inside the packet is malformed
  packet_too_large,              // larger than the configured maximum [MQTT-3.2.2-15]
  reserved_packet_type,          // type 0, or AUTH before MQTT 5
  invalid_fixed_header_flags,    // [MQTT-2.1.3-1]
  truncated,                     // a field runs past the end of the packet
  trailing_bytes,                // bytes left over after the last field
  invalid_utf8,                  // [MQTT-1.5.4-1], [MQTT-1.5.4-2]
  invalid_protocol_name,         // [MQTT-3.1.2-1]
  unsupported_protocol_version,  // [MQTT-3.1.2-2]
  reserved_connect_flag,         // [MQTT-3.1.2-3]
  invalid_will_flags,            // will QoS/retain without will flag, or will QoS 3
  password_without_username,     // [MQTT-3.1.2-22] (3.1/3.1.1 only)
  invalid_qos,                   // QoS 3 [MQTT-3.3.1-4]
  dup_on_qos0,                   // [MQTT-3.3.1-2]
  zero_packet_id,                // [MQTT-2.2.1-3]
  topic_name_invalid,            // wildcard in a topic name, or empty without a topic alias
  empty_topic_filter_list,       // [MQTT-3.8.3-2], [MQTT-3.10.3-2]
  reserved_subscription_bits,    // [MQTT-3.8.3-5]
  invalid_retain_handling,       // value 3
  no_local_on_shared,            // [MQTT-3.8.3-4]
  invalid_reason_code,
  unknown_property,
  property_not_allowed,  // a property this packet type cannot carry [MQTT-2.2.2-2]
  duplicate_property,    // more than once where the spec allows one
  invalid_property_value,
};

std::string_view to_string(decode_error error) noexcept;

// The reason code a server (or client) sends when it receives a packet with this error.
reason_code to_reason_code(decode_error error) noexcept;

}  // namespace tern::codec
