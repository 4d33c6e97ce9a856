#include "codec/decoder.hpp"

#include <string_view>

#include "codec/byte_reader.hpp"
#include "codec/property_codec.hpp"
#include "codec/topic_rules.hpp"

namespace tern::codec {

namespace {

using detail::byte_reader;
using detail::context_of;
using detail::property_context;
using detail::read_properties;

struct body_context {
  std::uint8_t flags;
  protocol_version version;
  bool is_v5() const noexcept { return version == protocol_version::v5; }
};

bool valid_fixed_header_flags(packet_type type, std::uint8_t flags, protocol_version version) {
  switch (type) {
    case packet_type::publish:
      return true;  // checked field by field
    case packet_type::pubrel:
    case packet_type::subscribe:
    case packet_type::unsubscribe:
      // MQTT 3.1 clients in the wild send these with either 0 or QoS 1 in the flags.
      return flags == 0x02 || (version == protocol_version::v3_1 && flags == 0x00);
    default:
      return flags == 0;
  }
}

std::uint16_t read_packet_id(byte_reader& in) {
  const auto id = in.u16();
  if (!in.failed() && id == 0) in.fail(decode_error::zero_packet_id);
  return id;
}

void expect_end(byte_reader& in) {
  if (!in.failed() && !in.at_end()) in.fail(decode_error::trailing_bytes);
}

reason_code read_reason(byte_reader& in, packet_type type) {
  const auto raw = in.u8();
  if (!in.failed() && !is_valid_reason_code(type, raw)) in.fail(decode_error::invalid_reason_code);
  return static_cast<reason_code>(raw);
}

void read_connect(byte_reader& in, decode_result& result) {
  connect c;
  const std::string name = in.utf8_string();
  const auto level = in.u8();
  if (in.failed()) return;
  if (name != "MQTT" && name != "MQIsdp") return in.fail(decode_error::invalid_protocol_name);
  const bool level_matches_name = (name == "MQIsdp") ? level == 3 : (level == 4 || level == 5);
  if (!level_matches_name) return in.fail(decode_error::unsupported_protocol_version);
  c.version = static_cast<protocol_version>(level);
  result.version = c.version;
  const bool v5 = c.version == protocol_version::v5;

  const auto flags = in.u8();
  c.keep_alive = in.u16();
  if (in.failed()) return;
  if ((flags & 0x01u) != 0) return in.fail(decode_error::reserved_connect_flag);
  c.clean_start = (flags & 0x02u) != 0;
  const bool will_flag = (flags & 0x04u) != 0;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03u);
  const bool will_retain = (flags & 0x20u) != 0;
  const bool password_flag = (flags & 0x40u) != 0;
  const bool username_flag = (flags & 0x80u) != 0;
  if (will_qos == 3 || (!will_flag && (will_qos != 0 || will_retain))) {
    return in.fail(decode_error::invalid_will_flags);  // [MQTT-3.1.2-11..14]
  }
  if (!v5 && password_flag && !username_flag) {
    return in.fail(decode_error::password_without_username);
  }
  if (v5) read_properties(in, property_context::connect, c.props);
  c.client_id = in.utf8_string();
  if (will_flag) {
    will_message will;
    will.qos_level = static_cast<qos>(will_qos);
    will.retain = will_retain;
    if (v5) read_properties(in, property_context::will, will.props);
    will.topic = in.utf8_string();
    if (!in.failed() && validate_topic_name(will.topic) != topic_error::none) {
      return in.fail(decode_error::topic_name_invalid);
    }
    will.payload = in.binary_data();
    c.will = std::move(will);
  }
  if (username_flag) c.username = in.utf8_string();
  if (password_flag) c.password = in.binary_data();
  expect_end(in);
  if (!in.failed()) result.value = std::move(c);
}

void read_connack(byte_reader& in, const body_context& ctx, decode_result& result) {
  connack c;
  const auto flags = in.u8();
  const auto code = in.u8();
  if (in.failed()) return;
  if ((flags & 0xFEu) != 0) return in.fail(decode_error::reserved_connect_flag);
  // MQTT 3.1 has no Session Present flag: that byte is reserved.
  c.session_present = (flags & 0x01u) != 0 && ctx.version != protocol_version::v3_1;
  if (ctx.is_v5()) {
    if (!is_valid_reason_code(packet_type::connack, code)) {
      return in.fail(decode_error::invalid_reason_code);
    }
    c.reason = static_cast<reason_code>(code);
    read_properties(in, property_context::connack, c.props);
  } else {
    if (code > 5) return in.fail(decode_error::invalid_reason_code);
    c.reason = from_v3_connack_code(code);
  }
  expect_end(in);
  if (!in.failed()) result.value = std::move(c);
}

void read_publish(byte_reader& in, const body_context& ctx, decode_result& result) {
  publish p;
  p.dup = (ctx.flags & 0x08u) != 0;
  const auto q = static_cast<std::uint8_t>((ctx.flags >> 1) & 0x03u);
  p.retain = (ctx.flags & 0x01u) != 0;
  if (q == 3) return in.fail(decode_error::invalid_qos);
  if (q == 0 && p.dup) return in.fail(decode_error::dup_on_qos0);
  p.qos_level = static_cast<qos>(q);
  p.topic = in.utf8_string();
  if (q > 0) p.packet_id = read_packet_id(in);
  if (ctx.is_v5()) read_properties(in, property_context::publish, p.props);
  if (in.failed()) return;
  // An empty topic is only allowed in MQTT 5 together with a Topic Alias [MQTT-3.3.2-1].
  const bool alias_only = p.topic.empty() && ctx.is_v5() && p.props.topic_alias.has_value();
  if (!alias_only && validate_topic_name(p.topic) != topic_error::none) {
    return in.fail(decode_error::topic_name_invalid);
  }
  const auto payload = in.rest();
  p.payload.assign(payload.begin(), payload.end());
  result.value = std::move(p);
}

template <typename Ack>
void read_ack(byte_reader& in, const body_context& ctx, packet_type type, decode_result& result) {
  Ack a;
  a.packet_id = read_packet_id(in);
  if (ctx.is_v5() && !in.failed()) {
    // The reason code and properties may be omitted [MQTT-3.4.2-1].
    if (!in.at_end()) a.reason = read_reason(in, type);
    if (!in.at_end()) read_properties(in, context_of(type), a.props);
  }
  expect_end(in);
  if (!in.failed()) result.value = std::move(a);
}

subscription_options read_subscription_options(byte_reader& in, const body_context& ctx,
                                               std::string_view filter) {
  subscription_options o;
  const auto bits = in.u8();
  if (in.failed()) return o;
  const std::uint8_t reserved_mask = ctx.is_v5() ? 0xC0 : 0xFC;
  if ((bits & reserved_mask) != 0) {
    in.fail(decode_error::reserved_subscription_bits);
    return o;
  }
  const auto q = static_cast<std::uint8_t>(bits & 0x03u);
  if (q == 3) {
    in.fail(decode_error::invalid_qos);
    return o;
  }
  o.max_qos = static_cast<qos>(q);
  if (!ctx.is_v5()) return o;
  o.no_local = (bits & 0x04u) != 0;
  o.retain_as_published = (bits & 0x08u) != 0;
  const auto handling = static_cast<std::uint8_t>((bits >> 4) & 0x03u);
  if (handling == 3) {
    in.fail(decode_error::invalid_retain_handling);
    return o;
  }
  o.retain = static_cast<retain_handling>(handling);
  if (o.no_local && filter.starts_with("$share/")) in.fail(decode_error::no_local_on_shared);
  return o;
}

void read_subscribe(byte_reader& in, const body_context& ctx, decode_result& result) {
  subscribe s;
  s.packet_id = read_packet_id(in);
  if (ctx.is_v5()) read_properties(in, property_context::subscribe, s.props);
  while (!in.failed() && !in.at_end()) {
    subscription sub;
    sub.filter = in.utf8_string();
    sub.options = read_subscription_options(in, ctx, sub.filter);
    s.subscriptions.push_back(std::move(sub));
  }
  if (!in.failed() && s.subscriptions.empty()) in.fail(decode_error::empty_topic_filter_list);
  if (!in.failed()) result.value = std::move(s);
}

void read_suback(byte_reader& in, const body_context& ctx, decode_result& result) {
  suback s;
  s.packet_id = read_packet_id(in);
  if (ctx.is_v5()) read_properties(in, property_context::suback, s.props);
  while (!in.failed() && !in.at_end()) {
    if (ctx.is_v5()) {
      s.reasons.push_back(read_reason(in, packet_type::suback));
      continue;
    }
    const auto code = in.u8();
    if (code > 2 && code != 0x80) in.fail(decode_error::invalid_reason_code);
    s.reasons.push_back(code == 0x80 ? reason_code::unspecified_error
                                     : static_cast<reason_code>(code));
  }
  if (!in.failed()) result.value = std::move(s);
}

void read_unsubscribe(byte_reader& in, const body_context& ctx, decode_result& result) {
  unsubscribe u;
  u.packet_id = read_packet_id(in);
  if (ctx.is_v5()) read_properties(in, property_context::unsubscribe, u.props);
  while (!in.failed() && !in.at_end()) u.filters.push_back(in.utf8_string());
  if (!in.failed() && u.filters.empty()) in.fail(decode_error::empty_topic_filter_list);
  if (!in.failed()) result.value = std::move(u);
}

void read_unsuback(byte_reader& in, const body_context& ctx, decode_result& result) {
  unsuback u;
  u.packet_id = read_packet_id(in);
  if (ctx.is_v5()) {
    read_properties(in, property_context::unsuback, u.props);
    while (!in.failed() && !in.at_end()) {
      u.reasons.push_back(read_reason(in, packet_type::unsuback));
    }
  }
  expect_end(in);
  if (!in.failed()) result.value = std::move(u);
}

// DISCONNECT and AUTH: an empty body means success with no properties [MQTT-3.14.2.1].
template <typename Packet>
void read_reason_and_properties(byte_reader& in, const body_context& ctx, packet_type type,
                                decode_result& result) {
  Packet p;
  if (ctx.is_v5()) {
    if (!in.at_end()) p.reason = read_reason(in, type);
    if (!in.failed() && !in.at_end()) read_properties(in, context_of(type), p.props);
  }
  expect_end(in);
  if (!in.failed()) result.value = std::move(p);
}

template <typename Packet>
void read_empty(byte_reader& in, decode_result& result) {
  expect_end(in);
  if (!in.failed()) result.value = Packet{};
}

void read_body(packet_type type, const body_context& ctx, std::span<const std::uint8_t> body,
               decode_result& result) {
  byte_reader in(body);
  switch (type) {
    case packet_type::connect:
      read_connect(in, result);
      break;
    case packet_type::connack:
      read_connack(in, ctx, result);
      break;
    case packet_type::publish:
      read_publish(in, ctx, result);
      break;
    case packet_type::puback:
      read_ack<puback>(in, ctx, type, result);
      break;
    case packet_type::pubrec:
      read_ack<pubrec>(in, ctx, type, result);
      break;
    case packet_type::pubrel:
      read_ack<pubrel>(in, ctx, type, result);
      break;
    case packet_type::pubcomp:
      read_ack<pubcomp>(in, ctx, type, result);
      break;
    case packet_type::subscribe:
      read_subscribe(in, ctx, result);
      break;
    case packet_type::suback:
      read_suback(in, ctx, result);
      break;
    case packet_type::unsubscribe:
      read_unsubscribe(in, ctx, result);
      break;
    case packet_type::unsuback:
      read_unsuback(in, ctx, result);
      break;
    case packet_type::pingreq:
      read_empty<pingreq>(in, result);
      break;
    case packet_type::pingresp:
      read_empty<pingresp>(in, result);
      break;
    case packet_type::disconnect:
      read_reason_and_properties<disconnect>(in, ctx, type, result);
      break;
    case packet_type::auth:
      read_reason_and_properties<auth>(in, ctx, type, result);
      break;
  }
  if (in.failed()) {
    result.status = decode_status::error;
    result.error = in.error();
  } else {
    result.status = decode_status::complete;
  }
}

decode_result fail(decode_error error, std::optional<packet_type> type = {}) {
  decode_result result;
  result.status = decode_status::error;
  result.error = error;
  result.type = type;
  return result;
}

}  // namespace

decode_result decode(std::span<const std::uint8_t> in, const decode_options& options) {
  if (in.empty()) return {};
  const std::uint8_t first = in[0];
  const auto type_value = static_cast<std::uint8_t>(first >> 4);
  const auto version = options.version.value_or(protocol_version::v3_1_1);
  if (type_value == 0) return fail(decode_error::reserved_packet_type);
  const auto type = static_cast<packet_type>(type_value);
  if (type == packet_type::auth && version != protocol_version::v5) {
    return fail(decode_error::reserved_packet_type, type);
  }
  const auto flags = static_cast<std::uint8_t>(first & 0x0Fu);
  if (!valid_fixed_header_flags(type, flags, version)) {
    return fail(decode_error::invalid_fixed_header_flags, type);
  }

  const auto length = decode_varint(in.subspan(1));
  if (length.status == varint_status::need_more) {
    decode_result more;
    more.type = type;  // known from the first byte, even while the length is incomplete
    return more;
  }
  if (length.status == varint_status::malformed) {
    return fail(decode_error::malformed_remaining_length, type);
  }
  const std::size_t total = 1 + length.length + length.value;
  if (total > options.max_packet_size) return fail(decode_error::packet_too_large, type);
  if (in.size() < total) {
    decode_result more;
    more.type = type;
    return more;
  }

  decode_result result;
  result.type = type;
  result.consumed = total;
  const body_context ctx{flags, version};
  read_body(type, ctx, in.subspan(1 + length.length, length.value), result);
  return result;
}

}  // namespace tern::codec
