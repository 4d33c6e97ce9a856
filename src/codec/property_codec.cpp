#include "codec/property_codec.hpp"

#include <array>

namespace tern::codec::detail {

namespace {

constexpr std::uint16_t bit(property_context c) noexcept {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c));
}

using pc = property_context;
constexpr std::uint16_t k_message = bit(pc::publish) | bit(pc::will);
constexpr std::uint16_t k_acks = bit(pc::puback) | bit(pc::pubrec) | bit(pc::pubrel) |
                                 bit(pc::pubcomp) | bit(pc::suback) | bit(pc::unsuback);
constexpr std::uint16_t k_everywhere = 0xFFFF;

// Which packets may carry each property identifier (MQTT 5.0 section 2.2.2.2); 0 = unknown id.
constexpr std::array<std::uint16_t, 0x2B> k_allowed = [] {
  std::array<std::uint16_t, 0x2B> table{};
  auto set = [&table](property_id id, std::uint16_t mask) {
    table[static_cast<std::size_t>(id)] = mask;
  };
  set(property_id::payload_format_indicator, k_message);
  set(property_id::message_expiry_interval, k_message);
  set(property_id::content_type, k_message);
  set(property_id::response_topic, k_message);
  set(property_id::correlation_data, k_message);
  set(property_id::subscription_identifier, bit(pc::publish) | bit(pc::subscribe));
  set(property_id::session_expiry_interval,
      bit(pc::connect) | bit(pc::connack) | bit(pc::disconnect));
  set(property_id::assigned_client_identifier, bit(pc::connack));
  set(property_id::server_keep_alive, bit(pc::connack));
  set(property_id::authentication_method, bit(pc::connect) | bit(pc::connack) | bit(pc::auth));
  set(property_id::authentication_data, bit(pc::connect) | bit(pc::connack) | bit(pc::auth));
  set(property_id::request_problem_information, bit(pc::connect));
  set(property_id::will_delay_interval, bit(pc::will));
  set(property_id::request_response_information, bit(pc::connect));
  set(property_id::response_information, bit(pc::connack));
  set(property_id::server_reference, bit(pc::connack) | bit(pc::disconnect));
  set(property_id::reason_string, bit(pc::connack) | k_acks | bit(pc::disconnect) | bit(pc::auth));
  set(property_id::receive_maximum, bit(pc::connect) | bit(pc::connack));
  set(property_id::topic_alias_maximum, bit(pc::connect) | bit(pc::connack));
  set(property_id::topic_alias, bit(pc::publish));
  set(property_id::maximum_qos, bit(pc::connack));
  set(property_id::retain_available, bit(pc::connack));
  set(property_id::user_property, k_everywhere);
  set(property_id::maximum_packet_size, bit(pc::connect) | bit(pc::connack));
  set(property_id::wildcard_subscription_available, bit(pc::connack));
  set(property_id::subscription_identifier_available, bit(pc::connack));
  set(property_id::shared_subscription_available, bit(pc::connack));
  return table;
}();

template <typename T, typename Read>
void read_once(byte_reader& in, std::optional<T>& slot, Read&& read) {
  if (slot.has_value()) {
    in.fail(decode_error::duplicate_property);
    return;
  }
  slot = read();
}

void read_flag(byte_reader& in, std::optional<std::uint8_t>& slot) {
  read_once(in, slot, [&] { return in.u8(); });
  if (!in.failed() && *slot > 1) in.fail(decode_error::invalid_property_value);
}

void read_nonzero_u16(byte_reader& in, std::optional<std::uint16_t>& slot) {
  read_once(in, slot, [&] { return in.u16(); });
  if (!in.failed() && *slot == 0) in.fail(decode_error::invalid_property_value);
}

void read_one(byte_reader& in, property_id id, property_context context, properties& p) {
  switch (id) {
    case property_id::payload_format_indicator:
      return read_flag(in, p.payload_format_indicator);
    case property_id::message_expiry_interval:
      return read_once(in, p.message_expiry_interval, [&] { return in.u32(); });
    case property_id::content_type:
      return read_once(in, p.content_type, [&] { return in.utf8_string(); });
    case property_id::response_topic:
      read_once(in, p.response_topic, [&] { return in.utf8_string(); });
      // A Response Topic is a Topic Name: never wildcards [MQTT-3.3.2-14].
      if (!in.failed() && (p.response_topic->empty() ||
                           p.response_topic->find_first_of("+#") != std::string::npos)) {
        in.fail(decode_error::invalid_property_value);
      }
      return;
    case property_id::correlation_data:
      return read_once(in, p.correlation_data, [&] { return in.binary_data(); });
    case property_id::subscription_identifier: {
      if (context == property_context::subscribe && !p.subscription_identifiers.empty()) {
        return in.fail(decode_error::duplicate_property);
      }
      const auto value = in.varint();
      if (in.failed()) return;
      if (value == 0) return in.fail(decode_error::invalid_property_value);
      p.subscription_identifiers.push_back(value);
      return;
    }
    case property_id::session_expiry_interval:
      return read_once(in, p.session_expiry_interval, [&] { return in.u32(); });
    case property_id::assigned_client_identifier:
      return read_once(in, p.assigned_client_identifier, [&] { return in.utf8_string(); });
    case property_id::server_keep_alive:
      return read_once(in, p.server_keep_alive, [&] { return in.u16(); });
    case property_id::authentication_method:
      return read_once(in, p.authentication_method, [&] { return in.utf8_string(); });
    case property_id::authentication_data:
      return read_once(in, p.authentication_data, [&] { return in.binary_data(); });
    case property_id::request_problem_information:
      return read_flag(in, p.request_problem_information);
    case property_id::will_delay_interval:
      return read_once(in, p.will_delay_interval, [&] { return in.u32(); });
    case property_id::request_response_information:
      return read_flag(in, p.request_response_information);
    case property_id::response_information:
      return read_once(in, p.response_information, [&] { return in.utf8_string(); });
    case property_id::server_reference:
      return read_once(in, p.server_reference, [&] { return in.utf8_string(); });
    case property_id::reason_string:
      return read_once(in, p.reason_string, [&] { return in.utf8_string(); });
    case property_id::receive_maximum:
      return read_nonzero_u16(in, p.receive_maximum);
    case property_id::topic_alias_maximum:
      return read_once(in, p.topic_alias_maximum, [&] { return in.u16(); });
    case property_id::topic_alias:
      return read_once(in, p.topic_alias, [&] { return in.u16(); });
    case property_id::maximum_qos:
      return read_flag(in, p.maximum_qos);
    case property_id::retain_available:
      return read_flag(in, p.retain_available);
    case property_id::user_property: {
      auto key = in.utf8_string();
      auto value = in.utf8_string();
      if (!in.failed()) p.user_properties.emplace_back(std::move(key), std::move(value));
      return;
    }
    case property_id::maximum_packet_size:
      read_once(in, p.maximum_packet_size, [&] { return in.u32(); });
      if (!in.failed() && *p.maximum_packet_size == 0) {
        in.fail(decode_error::invalid_property_value);
      }
      return;
    case property_id::wildcard_subscription_available:
      return read_flag(in, p.wildcard_subscription_available);
    case property_id::subscription_identifier_available:
      return read_flag(in, p.subscription_identifier_available);
    case property_id::shared_subscription_available:
      return read_flag(in, p.shared_subscription_available);
  }
  in.fail(decode_error::unknown_property);
}

// Calls visit(id, value) for every property that is present, in identifier order.
struct varint_value {
  std::uint32_t value;
};

template <typename Visit>
void for_each_property(const properties& p, Visit&& visit) {
  auto opt = [&](property_id id, const auto& slot) {
    if (slot) visit(id, *slot);
  };
  opt(property_id::payload_format_indicator, p.payload_format_indicator);
  opt(property_id::message_expiry_interval, p.message_expiry_interval);
  opt(property_id::content_type, p.content_type);
  opt(property_id::response_topic, p.response_topic);
  opt(property_id::correlation_data, p.correlation_data);
  for (auto id : p.subscription_identifiers) {
    visit(property_id::subscription_identifier, varint_value{id});
  }
  opt(property_id::session_expiry_interval, p.session_expiry_interval);
  opt(property_id::assigned_client_identifier, p.assigned_client_identifier);
  opt(property_id::server_keep_alive, p.server_keep_alive);
  opt(property_id::authentication_method, p.authentication_method);
  opt(property_id::authentication_data, p.authentication_data);
  opt(property_id::request_problem_information, p.request_problem_information);
  opt(property_id::will_delay_interval, p.will_delay_interval);
  opt(property_id::request_response_information, p.request_response_information);
  opt(property_id::response_information, p.response_information);
  opt(property_id::server_reference, p.server_reference);
  opt(property_id::reason_string, p.reason_string);
  opt(property_id::receive_maximum, p.receive_maximum);
  opt(property_id::topic_alias_maximum, p.topic_alias_maximum);
  opt(property_id::topic_alias, p.topic_alias);
  opt(property_id::maximum_qos, p.maximum_qos);
  opt(property_id::retain_available, p.retain_available);
  for (const auto& pair : p.user_properties) visit(property_id::user_property, pair);
  opt(property_id::maximum_packet_size, p.maximum_packet_size);
  opt(property_id::wildcard_subscription_available, p.wildcard_subscription_available);
  opt(property_id::subscription_identifier_available, p.subscription_identifier_available);
  opt(property_id::shared_subscription_available, p.shared_subscription_available);
}

std::size_t value_size(std::uint8_t) noexcept {
  return 1;
}
std::size_t value_size(std::uint16_t) noexcept {
  return 2;
}
std::size_t value_size(std::uint32_t) noexcept {
  return 4;
}
std::size_t value_size(varint_value v) noexcept {
  return varint_size(v.value);
}
std::size_t value_size(const std::string& s) noexcept {
  return 2 + s.size();
}
std::size_t value_size(const binary& b) noexcept {
  return 2 + b.size();
}
std::size_t value_size(const string_pair& p) noexcept {
  return 4 + p.first.size() + p.second.size();
}

constexpr std::size_t k_max_field = 65'535;
bool value_fits(std::uint8_t) noexcept {
  return true;
}
bool value_fits(std::uint16_t) noexcept {
  return true;
}
bool value_fits(std::uint32_t) noexcept {
  return true;
}
bool value_fits(varint_value v) noexcept {
  return v.value <= k_max_varint;
}
bool value_fits(const std::string& s) noexcept {
  return s.size() <= k_max_field;
}
bool value_fits(const binary& b) noexcept {
  return b.size() <= k_max_field;
}
bool value_fits(const string_pair& p) noexcept {
  return p.first.size() <= k_max_field && p.second.size() <= k_max_field;
}

void write_value(byte_writer& out, std::uint8_t v) {
  out.u8(v);
}
void write_value(byte_writer& out, std::uint16_t v) {
  out.u16(v);
}
void write_value(byte_writer& out, std::uint32_t v) {
  out.u32(v);
}
void write_value(byte_writer& out, varint_value v) {
  out.varint(v.value);
}
void write_value(byte_writer& out, const std::string& s) {
  out.prefixed(s);
}
void write_value(byte_writer& out, const binary& b) {
  out.prefixed(b);
}
void write_value(byte_writer& out, const string_pair& p) {
  out.prefixed(p.first);
  out.prefixed(p.second);
}

}  // namespace

void read_properties(byte_reader& in, property_context context, properties& out) {
  const std::uint32_t length = in.varint();
  if (in.failed()) return;
  if (length > in.remaining()) return in.fail(decode_error::truncated);
  byte_reader block(in.bytes(length));
  const auto allowed_bit = bit(context);
  while (!block.at_end() && !block.failed()) {
    const std::uint32_t raw_id = block.varint();
    if (block.failed()) break;
    if (raw_id >= k_allowed.size() || k_allowed[raw_id] == 0) {
      block.fail(decode_error::unknown_property);
      break;
    }
    if ((k_allowed[raw_id] & allowed_bit) == 0) {
      block.fail(decode_error::property_not_allowed);
      break;
    }
    read_one(block, static_cast<property_id>(raw_id), context, out);
  }
  if (block.failed()) in.fail(block.error());
}

std::uint32_t properties_size(const properties& props) noexcept {
  std::size_t size = 0;
  for_each_property(props,
                    [&size](property_id, const auto& value) { size += 1 + value_size(value); });
  return static_cast<std::uint32_t>(size);
}

bool properties_fit(const properties& props) noexcept {
  bool fits = true;
  for_each_property(props, [&fits](property_id, const auto& value) {
    if (!value_fits(value)) fits = false;
  });
  return fits;
}

void write_properties(byte_writer& out, const properties& props) {
  out.varint(properties_size(props));
  for_each_property(props, [&out](property_id id, const auto& value) {
    out.u8(static_cast<std::uint8_t>(id));
    write_value(out, value);
  });
}

}  // namespace tern::codec::detail
