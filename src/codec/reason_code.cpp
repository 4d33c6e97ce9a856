#include "codec/reason_code.hpp"

#include <algorithm>
#include <array>

namespace tern::codec {

std::string_view to_string(reason_code code) noexcept {
  switch (code) {
    case reason_code::success:
      return "success";
    case reason_code::granted_qos_1:
      return "granted QoS 1";
    case reason_code::granted_qos_2:
      return "granted QoS 2";
    case reason_code::disconnect_with_will_message:
      return "disconnect with will message";
    case reason_code::no_matching_subscribers:
      return "no matching subscribers";
    case reason_code::no_subscription_existed:
      return "no subscription existed";
    case reason_code::continue_authentication:
      return "continue authentication";
    case reason_code::re_authenticate:
      return "re-authenticate";
    case reason_code::unspecified_error:
      return "unspecified error";
    case reason_code::malformed_packet:
      return "malformed packet";
    case reason_code::protocol_error:
      return "protocol error";
    case reason_code::implementation_specific_error:
      return "implementation specific error";
    case reason_code::unsupported_protocol_version:
      return "unsupported protocol version";
    case reason_code::client_identifier_not_valid:
      return "client identifier not valid";
    case reason_code::bad_user_name_or_password:
      return "bad user name or password";
    case reason_code::not_authorized:
      return "not authorized";
    case reason_code::server_unavailable:
      return "server unavailable";
    case reason_code::server_busy:
      return "server busy";
    case reason_code::banned:
      return "banned";
    case reason_code::server_shutting_down:
      return "server shutting down";
    case reason_code::bad_authentication_method:
      return "bad authentication method";
    case reason_code::keep_alive_timeout:
      return "keep alive timeout";
    case reason_code::session_taken_over:
      return "session taken over";
    case reason_code::topic_filter_invalid:
      return "topic filter invalid";
    case reason_code::topic_name_invalid:
      return "topic name invalid";
    case reason_code::packet_identifier_in_use:
      return "packet identifier in use";
    case reason_code::packet_identifier_not_found:
      return "packet identifier not found";
    case reason_code::receive_maximum_exceeded:
      return "receive maximum exceeded";
    case reason_code::topic_alias_invalid:
      return "topic alias invalid";
    case reason_code::packet_too_large:
      return "packet too large";
    case reason_code::message_rate_too_high:
      return "message rate too high";
    case reason_code::quota_exceeded:
      return "quota exceeded";
    case reason_code::administrative_action:
      return "administrative action";
    case reason_code::payload_format_invalid:
      return "payload format invalid";
    case reason_code::retain_not_supported:
      return "retain not supported";
    case reason_code::qos_not_supported:
      return "QoS not supported";
    case reason_code::use_another_server:
      return "use another server";
    case reason_code::server_moved:
      return "server moved";
    case reason_code::shared_subscriptions_not_supported:
      return "shared subscriptions not supported";
    case reason_code::connection_rate_exceeded:
      return "connection rate exceeded";
    case reason_code::maximum_connect_time:
      return "maximum connect time";
    case reason_code::subscription_identifiers_not_supported:
      return "subscription identifiers not supported";
    case reason_code::wildcard_subscriptions_not_supported:
      return "wildcard subscriptions not supported";
  }
  return "unknown reason code";
}

namespace {

template <std::size_t N>
bool contains(const std::array<std::uint8_t, N>& set, std::uint8_t value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

// Tables follow the "Reason Codes" table of MQTT 5.0 section 2.4.
constexpr std::array<std::uint8_t, 22> k_connack{0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                                                 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
                                                 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
constexpr std::array<std::uint8_t, 9> k_puback_pubrec{0x00, 0x10, 0x80, 0x83, 0x87,
                                                      0x90, 0x91, 0x97, 0x99};
constexpr std::array<std::uint8_t, 2> k_pubrel_pubcomp{0x00, 0x92};
constexpr std::array<std::uint8_t, 12> k_suback{0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                                0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
constexpr std::array<std::uint8_t, 7> k_unsuback{0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
// 0x8C (Bad authentication method) is listed for DISCONNECT in Table 2-6 though not in 3.14.2.1;
// it is accepted, being the answer to an AUTH naming an unsupported method.
constexpr std::array<std::uint8_t, 30> k_disconnect{
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93,
    0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
constexpr std::array<std::uint8_t, 3> k_auth{0x00, 0x18, 0x19};

}  // namespace

bool is_valid_reason_code(packet_type type, std::uint8_t value) noexcept {
  switch (type) {
    case packet_type::connack:
      return contains(k_connack, value);
    case packet_type::puback:
    case packet_type::pubrec:
      return contains(k_puback_pubrec, value);
    case packet_type::pubrel:
    case packet_type::pubcomp:
      return contains(k_pubrel_pubcomp, value);
    case packet_type::suback:
      return contains(k_suback, value);
    case packet_type::unsuback:
      return contains(k_unsuback, value);
    case packet_type::disconnect:
      return contains(k_disconnect, value);
    case packet_type::auth:
      return contains(k_auth, value);
    default:
      return false;
  }
}

std::uint8_t to_v3_connack_code(reason_code code) noexcept {
  switch (code) {
    case reason_code::success:
      return 0;
    case reason_code::unsupported_protocol_version:
      return 1;
    case reason_code::client_identifier_not_valid:
      return 2;
    case reason_code::bad_user_name_or_password:
    case reason_code::bad_authentication_method:
      return 4;
    case reason_code::not_authorized:
    case reason_code::banned:
      return 5;
    default:
      return 3;  // server unavailable
  }
}

reason_code from_v3_connack_code(std::uint8_t value) noexcept {
  switch (value) {
    case 0:
      return reason_code::success;
    case 1:
      return reason_code::unsupported_protocol_version;
    case 2:
      return reason_code::client_identifier_not_valid;
    case 3:
      return reason_code::server_unavailable;
    case 4:
      return reason_code::bad_user_name_or_password;
    case 5:
      return reason_code::not_authorized;
    default:
      return reason_code::unspecified_error;
  }
}

}  // namespace tern::codec
