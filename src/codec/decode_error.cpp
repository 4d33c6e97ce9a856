#include "codec/decode_error.hpp"

namespace tern::codec {

std::string_view to_string(decode_error error) noexcept {
  switch (error) {
    case decode_error::none:
      return "no error";
    case decode_error::malformed_remaining_length:
      return "malformed remaining length";
    case decode_error::malformed_varint:
      return "malformed variable byte integer";
    case decode_error::packet_too_large:
      return "packet larger than the maximum packet size";
    case decode_error::reserved_packet_type:
      return "reserved packet type";
    case decode_error::invalid_fixed_header_flags:
      return "invalid fixed header flags";
    case decode_error::truncated:
      return "field runs past the end of the packet";
    case decode_error::trailing_bytes:
      return "unexpected bytes after the last field";
    case decode_error::invalid_utf8:
      return "invalid UTF-8 string";
    case decode_error::invalid_protocol_name:
      return "invalid protocol name";
    case decode_error::unsupported_protocol_version:
      return "unsupported protocol version";
    case decode_error::reserved_connect_flag:
      return "reserved CONNECT flag set";
    case decode_error::invalid_will_flags:
      return "invalid will flags";
    case decode_error::password_without_username:
      return "password flag without username flag";
    case decode_error::invalid_qos:
      return "invalid QoS";
    case decode_error::dup_on_qos0:
      return "DUP flag set on a QoS 0 PUBLISH";
    case decode_error::zero_packet_id:
      return "packet identifier is zero";
    case decode_error::topic_name_invalid:
      return "invalid topic name";
    case decode_error::empty_topic_filter_list:
      return "no topic filter";
    case decode_error::reserved_subscription_bits:
      return "reserved subscription option bits set";
    case decode_error::invalid_retain_handling:
      return "retain handling is 3";
    case decode_error::no_local_on_shared:
      return "No Local on a shared subscription";
    case decode_error::invalid_reason_code:
      return "reason code not allowed in this packet";
    case decode_error::unknown_property:
      return "unknown property identifier";
    case decode_error::property_not_allowed:
      return "property not allowed in this packet";
    case decode_error::duplicate_property:
      return "property included more than once";
    case decode_error::invalid_property_value:
      return "invalid property value";
  }
  return "unknown decode error";
}

reason_code to_reason_code(decode_error error) noexcept {
  switch (error) {
    case decode_error::none:
      return reason_code::success;
    case decode_error::packet_too_large:
      return reason_code::packet_too_large;
    case decode_error::unsupported_protocol_version:
      return reason_code::unsupported_protocol_version;
    case decode_error::topic_name_invalid:
      return reason_code::topic_name_invalid;
    // "It is a Protocol Error to ..." in the MQTT 5 text.
    case decode_error::duplicate_property:
    case decode_error::invalid_property_value:
    case decode_error::invalid_retain_handling:
    case decode_error::no_local_on_shared:
    case decode_error::empty_topic_filter_list:
    case decode_error::reserved_packet_type:
    case decode_error::invalid_protocol_name:
      return reason_code::protocol_error;
    default:
      return reason_code::malformed_packet;
  }
}

}  // namespace tern::codec
