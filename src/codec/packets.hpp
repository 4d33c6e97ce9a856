#pragma once
// One struct per MQTT control packet. Reason codes use the MQTT 5 vocabulary at every protocol
// level; the encoder and decoder translate MQTT 3.1/3.1.1 return codes.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "codec/properties.hpp"
#include "codec/reason_code.hpp"
#include "codec/types.hpp"

namespace tern::codec {

struct will_message {
  std::string topic;
  binary payload;
  qos qos_level = qos::at_most_once;
  bool retain = false;
  properties props;  // will properties (MQTT 5)
  bool operator==(const will_message&) const = default;
};

struct connect {
  protocol_version version = protocol_version::v5;
  bool clean_start = true;  // "Clean Session" before MQTT 5
  std::uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<will_message> will;
  std::optional<std::string> username;
  std::optional<binary> password;
  properties props;
  bool operator==(const connect&) const = default;
};

struct connack {
  bool session_present = false;
  reason_code reason = reason_code::success;
  properties props;
  bool operator==(const connack&) const = default;
};

struct publish {
  std::string topic;
  binary payload;
  qos qos_level = qos::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  properties props;
  bool operator==(const publish&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout.
struct ack_fields {
  std::uint16_t packet_id = 0;
  reason_code reason = reason_code::success;
  properties props;
  bool operator==(const ack_fields&) const = default;
};
struct puback : ack_fields {};
struct pubrec : ack_fields {};
struct pubrel : ack_fields {};
struct pubcomp : ack_fields {};

enum class retain_handling : std::uint8_t {
  send_on_subscribe = 0,
  send_if_new_subscription = 1,
  do_not_send = 2,
};

struct subscription_options {
  qos max_qos = qos::at_most_once;
  bool no_local = false;
  bool retain_as_published = false;
  retain_handling retain = retain_handling::send_on_subscribe;
  bool operator==(const subscription_options&) const = default;
};

struct subscription {
  std::string filter;
  subscription_options options;
  bool operator==(const subscription&) const = default;
};

struct subscribe {
  std::uint16_t packet_id = 0;
  std::vector<subscription> subscriptions;
  properties props;
  bool operator==(const subscribe&) const = default;
};

struct suback {
  std::uint16_t packet_id = 0;
  std::vector<reason_code> reasons;  // one per subscription, in order
  properties props;
  bool operator==(const suback&) const = default;
};

struct unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  properties props;
  bool operator==(const unsubscribe&) const = default;
};

struct unsuback {
  std::uint16_t packet_id = 0;
  std::vector<reason_code> reasons;  // MQTT 5 only; empty for 3.1/3.1.1
  properties props;
  bool operator==(const unsuback&) const = default;
};

struct pingreq {
  bool operator==(const pingreq&) const = default;
};
struct pingresp {
  bool operator==(const pingresp&) const = default;
};

struct disconnect {
  reason_code reason = reason_code::success;
  properties props;
  bool operator==(const disconnect&) const = default;
};

struct auth {
  reason_code reason = reason_code::success;
  properties props;
  bool operator==(const auth&) const = default;
};

using packet = std::variant<connect, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe,
                            suback, unsubscribe, unsuback, pingreq, pingresp, disconnect, auth>;

packet_type type_of(const packet& p) noexcept;

}  // namespace tern::codec
