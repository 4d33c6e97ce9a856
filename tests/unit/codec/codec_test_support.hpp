#pragma once
// Shared helpers for the codec unit tests: a hand-rolled wire builder (independent of the codec's
// own writer, so tests do not check the codec against itself), decode shortcuts, property
// fixtures and gtest printers that make failures readable.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ios>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "codec/decode_error.hpp"
#include "codec/decoder.hpp"
#include "codec/encoder.hpp"
#include "codec/packets.hpp"
#include "codec/properties.hpp"
#include "codec/reason_code.hpp"
#include "codec/types.hpp"

namespace tern::codec::test {

using bytes = std::vector<std::uint8_t>;

// Builds raw MQTT bytes field by field.
class wire {
 public:
  wire() = default;
  wire(std::initializer_list<std::uint8_t> init) : data_(init) {}

  wire& u8(std::uint8_t v) {
    data_.push_back(v);
    return *this;
  }
  wire& u16(std::uint16_t v) {
    data_.push_back(static_cast<std::uint8_t>(v >> 8));
    data_.push_back(static_cast<std::uint8_t>(v & 0xFFu));
    return *this;
  }
  wire& u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      data_.push_back(static_cast<std::uint8_t>((v >> shift) & 0xFFu));
    }
    return *this;
  }
  wire& varint(std::uint32_t v) {
    do {
      auto b = static_cast<std::uint8_t>(v % 128u);
      v /= 128u;
      if (v > 0) b = static_cast<std::uint8_t>(b | 0x80u);
      data_.push_back(b);
    } while (v > 0);
    return *this;
  }
  wire& raw(std::initializer_list<std::uint8_t> b) {
    data_.insert(data_.end(), b.begin(), b.end());
    return *this;
  }
  wire& raw(std::span<const std::uint8_t> b) {
    data_.insert(data_.end(), b.begin(), b.end());
    return *this;
  }
  wire& raw(const wire& other) { return raw(std::span<const std::uint8_t>(other.data_)); }
  wire& text(std::string_view s) {  // bytes without a length prefix
    for (char c : s) data_.push_back(static_cast<std::uint8_t>(c));
    return *this;
  }
  wire& str(std::string_view s) {  // two-byte length prefix
    u16(static_cast<std::uint16_t>(s.size()));
    return text(s);
  }
  wire& str_bytes(std::initializer_list<std::uint8_t> b) {  // length-prefixed raw bytes
    u16(static_cast<std::uint16_t>(b.size()));
    return raw(b);
  }
  wire& str_raw(const bytes& b) {  // length-prefixed raw bytes
    u16(static_cast<std::uint16_t>(b.size()));
    return raw(std::span<const std::uint8_t>(b));
  }
  // A property block: variable byte integer length, then the given content.
  wire& props(const wire& content) {
    varint(static_cast<std::uint32_t>(content.size()));
    return raw(content);
  }
  wire& no_props() { return u8(0); }

  std::size_t size() const { return data_.size(); }
  const bytes& data() const { return data_; }
  operator const bytes&() const { return data_; }  // NOLINT(google-explicit-constructor)

 private:
  bytes data_;
};

// A whole packet: first byte, remaining length, body.
inline bytes packet_bytes(std::uint8_t first, const wire& body) {
  wire w;
  w.u8(first).varint(static_cast<std::uint32_t>(body.size())).raw(body);
  return w.data();
}

inline decode_options opts(std::optional<protocol_version> v) {
  decode_options o;
  o.version = v;
  return o;
}
inline decode_options v311() {
  return opts(protocol_version::v3_1_1);
}
inline decode_options v5() {
  return opts(protocol_version::v5);
}

inline decode_result decode_bytes(const bytes& in, const decode_options& o) {
  return decode(std::span<const std::uint8_t>(in), o);
}

inline bytes encode_bytes(const packet& p, protocol_version v) {
  bytes out;
  encode(p, v, out);
  return out;
}

// Decodes `in` and checks it is one complete packet that fills the whole input.
inline ::testing::AssertionResult decodes_whole(const bytes& in, const decode_options& o,
                                                packet& out) {
  const auto r = decode_bytes(in, o);
  if (r.status != decode_status::complete) {
    return ::testing::AssertionFailure()
           << "status " << static_cast<int>(r.status) << ", error " << to_string(r.error);
  }
  if (r.consumed != in.size()) {
    return ::testing::AssertionFailure() << "consumed " << r.consumed << " of " << in.size();
  }
  out = r.value;
  return ::testing::AssertionSuccess();
}

// Decodes `in` and checks it fails with exactly `error`, which maps to `reason`.
inline ::testing::AssertionResult fails_with(const bytes& in, const decode_options& o,
                                             decode_error error, reason_code reason) {
  const auto r = decode_bytes(in, o);
  if (r.status != decode_status::error) {
    return ::testing::AssertionFailure()
           << "expected error " << to_string(error) << " but status was "
           << (r.status == decode_status::complete ? "complete" : "need_more");
  }
  if (r.error != error) {
    return ::testing::AssertionFailure()
           << "expected error '" << to_string(error) << "' but got '" << to_string(r.error) << "'";
  }
  if (to_reason_code(r.error) != reason) {
    return ::testing::AssertionFailure()
           << "error '" << to_string(error) << "' maps to reason '"
           << to_string(to_reason_code(r.error)) << "', expected '" << to_string(reason) << "'";
  }
  return ::testing::AssertionSuccess();
}

inline binary bin(std::initializer_list<std::uint8_t> b) {
  return binary(b);
}
inline binary bin(std::string_view s) {
  return binary(s.begin(), s.end());
}

// ---- property fixtures: together they set every property at least once ----------------------

inline properties rich_connect_props() {
  properties p;
  p.session_expiry_interval = 3600;
  p.authentication_method = "SCRAM-SHA-256";
  p.authentication_data = bin({0x01, 0x02, 0x00, 0xFF});
  p.request_problem_information = 0;
  p.request_response_information = 1;
  p.receive_maximum = 20;
  p.topic_alias_maximum = 10;
  p.maximum_packet_size = 1'048'576;
  p.user_properties = {{"region", "eu"}, {"region", "us"}, {"", ""}};
  return p;
}

inline properties rich_will_props() {
  properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 120;
  p.content_type = "text/plain";
  p.response_topic = "replies/42";
  p.correlation_data = bin({0xDE, 0xAD, 0xBE, 0xEF});
  p.will_delay_interval = 30;
  p.user_properties = {{"k", "v"}};
  return p;
}

inline properties rich_connack_props() {
  properties p;
  p.session_expiry_interval = 0xFFFFFFFFu;
  p.assigned_client_identifier = "auto-7f3a";
  p.server_keep_alive = 45;
  p.authentication_method = "SCRAM-SHA-256";
  p.authentication_data = bin({0x10});
  p.response_information = "resp/";
  p.server_reference = "other.example:1883";
  p.reason_string = "welcome";
  p.receive_maximum = 65535;
  p.topic_alias_maximum = 0;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.maximum_packet_size = 268'435'460;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  p.user_properties = {{"a", "1"}, {"b", "2"}};
  return p;
}

inline properties rich_publish_props() {
  properties p;
  p.payload_format_indicator = 0;
  p.message_expiry_interval = 0;
  p.content_type = "application/json";
  p.response_topic = "reply/to/me";
  p.correlation_data = bin({});
  p.subscription_identifiers = {1, 127, 128, 16'384, 268'435'455};
  p.topic_alias = 7;
  p.user_properties = {{"x", "1"}, {"x", "2"}, {"\xC3\xA9t\xC3\xA9", "\xE2\x82\xAC"}};
  return p;
}

inline properties reason_props(std::string reason) {
  properties p;
  p.reason_string = std::move(reason);
  p.user_properties = {{"trace", "abc"}, {"trace", "def"}};
  return p;
}

inline properties rich_disconnect_props() {
  properties p = reason_props("bye");
  p.session_expiry_interval = 0;
  p.server_reference = "backup:1883";
  return p;
}

inline properties rich_auth_props() {
  properties p = reason_props("continue");
  p.authentication_method = "GS2-KRB5";
  p.authentication_data = bin({0x00, 0x01, 0x02});
  return p;
}

// The property identifiers that are present in `p`, written out field by field.
inline std::set<property_id> present_ids(const properties& p) {
  std::set<property_id> ids;
  auto add = [&ids](bool present, property_id id) {
    if (present) ids.insert(id);
  };
  add(p.payload_format_indicator.has_value(), property_id::payload_format_indicator);
  add(p.message_expiry_interval.has_value(), property_id::message_expiry_interval);
  add(p.content_type.has_value(), property_id::content_type);
  add(p.response_topic.has_value(), property_id::response_topic);
  add(p.correlation_data.has_value(), property_id::correlation_data);
  add(!p.subscription_identifiers.empty(), property_id::subscription_identifier);
  add(p.session_expiry_interval.has_value(), property_id::session_expiry_interval);
  add(p.assigned_client_identifier.has_value(), property_id::assigned_client_identifier);
  add(p.server_keep_alive.has_value(), property_id::server_keep_alive);
  add(p.authentication_method.has_value(), property_id::authentication_method);
  add(p.authentication_data.has_value(), property_id::authentication_data);
  add(p.request_problem_information.has_value(), property_id::request_problem_information);
  add(p.will_delay_interval.has_value(), property_id::will_delay_interval);
  add(p.request_response_information.has_value(), property_id::request_response_information);
  add(p.response_information.has_value(), property_id::response_information);
  add(p.server_reference.has_value(), property_id::server_reference);
  add(p.reason_string.has_value(), property_id::reason_string);
  add(p.receive_maximum.has_value(), property_id::receive_maximum);
  add(p.topic_alias_maximum.has_value(), property_id::topic_alias_maximum);
  add(p.topic_alias.has_value(), property_id::topic_alias);
  add(p.maximum_qos.has_value(), property_id::maximum_qos);
  add(p.retain_available.has_value(), property_id::retain_available);
  add(!p.user_properties.empty(), property_id::user_property);
  add(p.maximum_packet_size.has_value(), property_id::maximum_packet_size);
  add(p.wildcard_subscription_available.has_value(), property_id::wildcard_subscription_available);
  add(p.subscription_identifier_available.has_value(),
      property_id::subscription_identifier_available);
  add(p.shared_subscription_available.has_value(), property_id::shared_subscription_available);
  return ids;
}

inline constexpr std::size_t k_property_count = 27;

}  // namespace tern::codec::test

// ---- gtest printers (found by ADL) -------------------------------------------------------------

namespace tern::codec {

namespace print_detail {

inline void print_bytes(std::ostream& os, const binary& b) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  os << '[';
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i != 0) os << ' ';
    os << k_hex[b[i] >> 4] << k_hex[b[i] & 0x0F];
  }
  os << ']';
}

template <typename T>
void print_opt(std::ostream& os, const char* name, const std::optional<T>& v) {
  if (!v) return;
  os << ' ' << name << '=';
  if constexpr (std::is_same_v<T, binary>) {
    print_bytes(os, *v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    os << '"' << *v << '"';
  } else {
    os << static_cast<unsigned long>(*v);
  }
}

}  // namespace print_detail

inline void PrintTo(const properties& p, std::ostream* os) {
  using print_detail::print_opt;
  *os << "{props";
  print_opt(*os, "pfi", p.payload_format_indicator);
  print_opt(*os, "mei", p.message_expiry_interval);
  print_opt(*os, "content_type", p.content_type);
  print_opt(*os, "response_topic", p.response_topic);
  print_opt(*os, "correlation", p.correlation_data);
  for (auto id : p.subscription_identifiers) *os << " sub_id=" << id;
  print_opt(*os, "session_expiry", p.session_expiry_interval);
  print_opt(*os, "assigned_id", p.assigned_client_identifier);
  print_opt(*os, "server_keep_alive", p.server_keep_alive);
  print_opt(*os, "auth_method", p.authentication_method);
  print_opt(*os, "auth_data", p.authentication_data);
  print_opt(*os, "req_problem", p.request_problem_information);
  print_opt(*os, "will_delay", p.will_delay_interval);
  print_opt(*os, "req_response", p.request_response_information);
  print_opt(*os, "response_info", p.response_information);
  print_opt(*os, "server_ref", p.server_reference);
  print_opt(*os, "reason_string", p.reason_string);
  print_opt(*os, "receive_max", p.receive_maximum);
  print_opt(*os, "alias_max", p.topic_alias_maximum);
  print_opt(*os, "alias", p.topic_alias);
  print_opt(*os, "max_qos", p.maximum_qos);
  print_opt(*os, "retain_avail", p.retain_available);
  for (const auto& [k, v] : p.user_properties) *os << " user[" << k << "]=" << v;
  print_opt(*os, "max_packet", p.maximum_packet_size);
  print_opt(*os, "wildcard_avail", p.wildcard_subscription_available);
  print_opt(*os, "sub_id_avail", p.subscription_identifier_available);
  print_opt(*os, "shared_avail", p.shared_subscription_available);
  *os << '}';
}

inline void PrintTo(reason_code r, std::ostream* os) {
  *os << to_string(r) << " (0x" << std::hex << static_cast<int>(r) << std::dec << ')';
}
inline void PrintTo(decode_error e, std::ostream* os) {
  *os << to_string(e);
}
inline void PrintTo(protocol_version v, std::ostream* os) {
  *os << to_string(v);
}
inline void PrintTo(packet_type t, std::ostream* os) {
  *os << to_string(t);
}

namespace print_detail {

template <typename T>
void print_packet(const T& v, std::ostream& o) {
  o << to_string(type_of(packet{v})) << ' ';
  if constexpr (std::is_same_v<T, connect>) {
    o << "{v=" << to_string(v.version) << " clean=" << v.clean_start
      << " keep_alive=" << v.keep_alive << " id=\"" << v.client_id << '"';
    if (v.will) {
      o << " will{topic=\"" << v.will->topic << "\" payload=";
      print_bytes(o, v.will->payload);
      o << " qos=" << static_cast<int>(v.will->qos_level) << " retain=" << v.will->retain << ' ';
      PrintTo(v.will->props, &o);
      o << '}';
    }
    print_opt(o, "user", v.username);
    print_opt(o, "password", v.password);
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_same_v<T, connack>) {
    o << "{sp=" << v.session_present << ' ';
    PrintTo(v.reason, &o);
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_same_v<T, publish>) {
    o << "{topic=\"" << v.topic << "\" qos=" << static_cast<int>(v.qos_level)
      << " retain=" << v.retain << " dup=" << v.dup << " id=" << v.packet_id << " payload=";
    print_bytes(o, v.payload);
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_base_of_v<ack_fields, T>) {
    o << "{id=" << v.packet_id << ' ';
    PrintTo(v.reason, &o);
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_same_v<T, subscribe>) {
    o << "{id=" << v.packet_id;
    for (const auto& s : v.subscriptions) {
      o << " [\"" << s.filter << "\" qos=" << static_cast<int>(s.options.max_qos)
        << " nl=" << s.options.no_local << " rap=" << s.options.retain_as_published
        << " rh=" << static_cast<int>(s.options.retain) << ']';
    }
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_same_v<T, suback> || std::is_same_v<T, unsuback>) {
    o << "{id=" << v.packet_id;
    for (auto r : v.reasons) o << " 0x" << std::hex << static_cast<int>(r) << std::dec;
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_same_v<T, unsubscribe>) {
    o << "{id=" << v.packet_id;
    for (const auto& f : v.filters) o << " \"" << f << '"';
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else if constexpr (std::is_same_v<T, disconnect> || std::is_same_v<T, auth>) {
    o << '{';
    PrintTo(v.reason, &o);
    o << ' ';
    PrintTo(v.props, &o);
    o << '}';
  } else {
    o << "{}";
  }
}

}  // namespace print_detail

// One overload per alternative: gtest prints a variant by printing the active alternative.
inline void PrintTo(const connect& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const connack& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const publish& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const puback& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const pubrec& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const pubrel& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const pubcomp& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const subscribe& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const suback& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const unsubscribe& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const unsuback& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const pingreq& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const pingresp& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const disconnect& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}
inline void PrintTo(const auth& v, std::ostream* os) {
  print_detail::print_packet(v, *os);
}

}  // namespace tern::codec
