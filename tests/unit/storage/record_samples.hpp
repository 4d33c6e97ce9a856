#pragma once
// Records with every field set, shared by the record and snapshot tests.

#include <cstdint>
#include <string_view>

#include "storage/records.hpp"

namespace tern::storage::test {

inline codec::binary bin(std::string_view s) {
  return codec::binary(s.begin(), s.end());
}

// Every property a stored message carries (see protocol::make_message).
inline codec::properties full_message_props() {
  codec::properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 3600;
  p.content_type = "application/json; charset=utf-8";
  p.response_topic = "reply/to/\xC3\xA9t\xC3\xA9";  // "été"
  p.correlation_data = codec::binary{0x00, 0xFF, 0x10, 0x00, 0x80};
  p.subscription_identifiers = {1, 268'435'455};
  p.user_properties = {{"k", "v1"}, {"k", "v2"}, {"", ""}, {"\xE2\x9C\x93", "order kept"}};
  return p;
}

inline message_record full_message(std::uint64_t id) {
  message_record m;
  m.id = id;
  m.origin_session = 77;
  m.topic = "sensors/\xE2\x82\xAC/temperature";  // "€"
  m.payload = bin(std::string_view("\x00\x01payload\xFF", 10));
  m.qos_level = codec::qos::exactly_once;
  m.retain = true;
  m.expires_at_ms = 1'767'225'600'123;
  m.props = full_message_props();
  return m;
}

inline message_record plain_message(std::uint64_t id) {
  message_record m;
  m.id = id;
  m.origin_session = 1;
  m.topic = "t";
  m.payload = bin("p");
  m.qos_level = codec::qos::at_least_once;
  return m;
}

inline entry_record full_entry(std::uint64_t session_id, std::uint64_t message_id) {
  entry_record e;
  e.session_id = session_id;
  e.message_id = message_id;
  e.qos_level = codec::qos::exactly_once;
  e.retain = true;
  e.packet_id = 65'535;
  e.pubrec_received = true;
  e.subscription_ids = {1, 42, 268'435'455};
  e.shared_filter = "$share/group/sensors/+/temperature";
  return e;
}

inline codec::will_message full_will() {
  codec::will_message w;
  w.topic = "clients/c1/status";
  w.payload = bin(std::string_view("gone\x00\xFF", 6));
  w.qos_level = codec::qos::at_least_once;
  w.retain = true;
  w.props.will_delay_interval = 30;
  w.props.payload_format_indicator = 1;
  w.props.message_expiry_interval = 600;
  w.props.content_type = "text/plain";
  w.props.response_topic = "clients/c1/reply";
  w.props.correlation_data = codec::binary{0xCA, 0xFE};
  w.props.user_properties = {{"reason", "crash"}, {"reason", "again"}};
  return w;
}

inline session_record full_session(std::uint64_t id) {
  session_record s;
  s.session_id = id;
  s.client_id = "client-\xC3\xBC-1";  // "ü"
  s.version = codec::protocol_version::v5;
  s.expiry_interval = 86'400;
  s.expires_at_ms = 1'767'225'600'000;
  s.will = full_will();
  s.will_at_ms = 1'767'225'630'000;
  return s;
}

inline session_record plain_session(std::uint64_t id) {
  session_record s;
  s.session_id = id;
  s.client_id = "c" + std::to_string(id);
  s.expiry_interval = 60;
  return s;
}

}  // namespace tern::storage::test
