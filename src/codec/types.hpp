#pragma once
// Basic MQTT vocabulary shared by every module: protocol levels, QoS and packet types.

#include <cstdint>
#include <string_view>

namespace tern::codec {

// The protocol level byte of CONNECT. 3 is MQTT 3.1 ("MQIsdp"), 4 is 3.1.1, 5 is 5.0.
enum class protocol_version : std::uint8_t { v3_1 = 3, v3_1_1 = 4, v5 = 5 };

enum class qos : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

enum class packet_type : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,
};

std::string_view to_string(packet_type type) noexcept;
std::string_view to_string(protocol_version version) noexcept;

// The largest value a Remaining Length can hold (four bytes of variable byte integer).
inline constexpr std::uint32_t k_max_remaining_length = 268'435'455;
// The largest complete packet: 1 byte of type, 4 bytes of length, then the body.
inline constexpr std::uint32_t k_max_packet_size = k_max_remaining_length + 5;

}  // namespace tern::codec
