#pragma once
// Wire form of the MQTT 5 property block: a variable byte integer length, then
// (identifier, value) pairs. Internal to the codec.

#include <cstdint>

#include "codec/byte_reader.hpp"
#include "codec/byte_writer.hpp"
#include "codec/properties.hpp"
#include "codec/types.hpp"

namespace tern::codec::detail {

// Where a property block sits: a packet type, or the will properties of CONNECT.
enum class property_context : std::uint8_t {
  will = 0,
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
  disconnect = 14,
  auth = 15,
};

inline property_context context_of(packet_type type) noexcept {
  return static_cast<property_context>(type);
}

// Reads a whole property block (length included) into `out`, enforcing the allowed-packet table,
// the "at most once" rule and value ranges. Errors latch in `in`.
void read_properties(byte_reader& in, property_context context, properties& out);

// Size of the property block without its length prefix.
std::uint32_t properties_size(const properties& props) noexcept;

// False when a value cannot be expressed on the wire: a string or binary value over 65,535 bytes,
// or a Subscription Identifier over the Variable Byte Integer maximum.
bool properties_fit(const properties& props) noexcept;

// Writes the property block with its length prefix.
void write_properties(byte_writer& out, const properties& props);

}  // namespace tern::codec::detail
