// encode() then decode() for every packet type at every protocol level where it exists. MQTT 5
// keeps everything; MQTT 3.1/3.1.1 drop properties and map reason codes, and the expected values
// below spell out what must survive.

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <vector>

#include "codec_test_support.hpp"

namespace tern::codec {
namespace {

using namespace test;

constexpr std::array k_all_versions{protocol_version::v3_1, protocol_version::v3_1_1,
                                    protocol_version::v5};
constexpr std::array k_v3_versions{protocol_version::v3_1, protocol_version::v3_1_1};

// Encodes `original` for `version`, decodes it back and compares with `expected`. Then checks the
// encoding is canonical: encoding the decoded value again gives the same bytes.
void expect_round_trip(const packet& original, protocol_version version, const packet& expected) {
  SCOPED_TRACE(::testing::Message()
               << to_string(type_of(original)) << " at MQTT " << to_string(version));
  bytes wire;
  const std::size_t written = encode(original, version, wire);
  ASSERT_GT(written, 0u);
  ASSERT_EQ(written, wire.size());
  EXPECT_EQ(wire[0] >> 4, static_cast<int>(type_of(original)));

  decode_options options;
  // CONNECT is decoded before the level is known; everything else with the connection's level.
  if (type_of(original) != packet_type::connect) options.version = version;
  const auto r = decode_bytes(wire, options);
  ASSERT_EQ(r.status, decode_status::complete) << to_string(r.error);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_EQ(r.error, decode_error::none);
  ASSERT_TRUE(r.type.has_value());
  EXPECT_EQ(*r.type, type_of(original));
  EXPECT_EQ(r.value, expected);

  bytes again;
  EXPECT_EQ(encode(r.value, version, again), wire.size());
  EXPECT_EQ(again, wire);
}

void expect_lossless(const packet& p, protocol_version version) {
  expect_round_trip(p, version, p);
}

// ---- CONNECT --------------------------------------------------------------------------------

connect full_connect(protocol_version v) {
  connect c;
  c.version = v;
  c.clean_start = false;
  c.keep_alive = 65'535;
  c.client_id = "client-\xC3\xA9";
  will_message w;
  w.topic = "clients/last-will";
  w.payload = bin({0x00, 0x01, 0xFF});
  w.qos_level = qos::exactly_once;
  w.retain = true;
  w.props = rich_will_props();
  c.will = w;
  c.username = "alice";
  c.password = bin({0x00, 's', 'e', 'c', 0xFF});
  c.props = rich_connect_props();
  return c;
}

TEST(round_trip, connect_v5_with_everything) {
  const auto c = full_connect(protocol_version::v5);
  expect_lossless(c, protocol_version::v5);
  const auto r = decode_bytes(encode_bytes(c, protocol_version::v5), decode_options{});
  ASSERT_TRUE(r.version.has_value());
  EXPECT_EQ(*r.version, protocol_version::v5);
}

TEST(round_trip, connect_v3_drops_properties) {
  for (auto v : k_v3_versions) {
    const auto c = full_connect(v);
    auto expected = c;
    expected.props = {};
    expected.will->props = {};
    expect_round_trip(c, v, expected);
    const auto r = decode_bytes(encode_bytes(c, v), decode_options{});
    ASSERT_TRUE(r.version.has_value());
    EXPECT_EQ(*r.version, v);
  }
}

TEST(round_trip, connect_minimal_every_version) {
  for (auto v : k_all_versions) {
    connect c;
    c.version = v;
    c.client_id = "";  // empty client id: allowed by the codec, policy belongs to the session
    expect_lossless(c, v);
    c.clean_start = false;
    c.keep_alive = 60;
    c.client_id = "x";
    expect_lossless(c, v);
  }
}

TEST(round_trip, connect_will_qos_and_retain_combinations) {
  for (auto v : k_all_versions) {
    for (auto q : {qos::at_most_once, qos::at_least_once, qos::exactly_once}) {
      for (bool retain : {false, true}) {
        connect c;
        c.version = v;
        c.client_id = "w";
        c.will = will_message{"t", bin("payload"), q, retain, {}};
        expect_lossless(c, v);
      }
    }
  }
}

TEST(round_trip, connect_username_password_combinations) {
  for (auto v : k_all_versions) {
    connect c;
    c.version = v;
    c.client_id = "u";
    c.username = "";
    expect_lossless(c, v);  // username only, empty
    c.password = bin({});
    expect_lossless(c, v);  // both, empty
  }
  // A password without a username is only legal in MQTT 5 [MQTT-3.1.2-22].
  connect c;
  c.client_id = "p";
  c.password = bin("secret");
  expect_lossless(c, protocol_version::v5);
}

TEST(round_trip, connect_v5_will_with_properties_but_no_connect_properties) {
  connect c;
  c.client_id = "c";
  c.will = will_message{"w/t", bin("bye"), qos::at_least_once, false, rich_will_props()};
  expect_lossless(c, protocol_version::v5);
}

// ---- CONNACK --------------------------------------------------------------------------------

TEST(round_trip, connack_v5_all_reason_codes) {
  const std::vector<reason_code> codes = {
      reason_code::success,
      reason_code::unspecified_error,
      reason_code::malformed_packet,
      reason_code::protocol_error,
      reason_code::implementation_specific_error,
      reason_code::unsupported_protocol_version,
      reason_code::client_identifier_not_valid,
      reason_code::bad_user_name_or_password,
      reason_code::not_authorized,
      reason_code::server_unavailable,
      reason_code::server_busy,
      reason_code::banned,
      reason_code::bad_authentication_method,
      reason_code::topic_name_invalid,
      reason_code::packet_too_large,
      reason_code::quota_exceeded,
      reason_code::payload_format_invalid,
      reason_code::retain_not_supported,
      reason_code::qos_not_supported,
      reason_code::use_another_server,
      reason_code::server_moved,
      reason_code::connection_rate_exceeded,
  };
  for (auto rc : codes) {
    expect_lossless(connack{false, rc, {}}, protocol_version::v5);
  }
  expect_lossless(connack{true, reason_code::success, rich_connack_props()}, protocol_version::v5);
}

TEST(round_trip, connack_v3_maps_reason_codes_to_return_codes) {
  struct mapping {
    reason_code sent;
    std::uint8_t wire;
    reason_code received;
  };
  // MQTT 3.1.1 section 3.2.2.3: return codes 0..5.
  const std::vector<mapping> table = {
      {reason_code::success, 0, reason_code::success},
      {reason_code::unsupported_protocol_version, 1, reason_code::unsupported_protocol_version},
      {reason_code::client_identifier_not_valid, 2, reason_code::client_identifier_not_valid},
      {reason_code::server_unavailable, 3, reason_code::server_unavailable},
      {reason_code::bad_user_name_or_password, 4, reason_code::bad_user_name_or_password},
      {reason_code::not_authorized, 5, reason_code::not_authorized},
      // MQTT 5-only codes collapse onto the nearest 3.1.1 return code.
      {reason_code::server_busy, 3, reason_code::server_unavailable},
      {reason_code::unspecified_error, 3, reason_code::server_unavailable},
      {reason_code::banned, 5, reason_code::not_authorized},
      {reason_code::bad_authentication_method, 4, reason_code::bad_user_name_or_password},
  };
  for (auto v : k_v3_versions) {
    for (const auto& m : table) {
      const connack sent{false, m.sent, rich_connack_props()};
      const bytes wire = encode_bytes(sent, v);
      EXPECT_EQ(wire, (bytes{0x20, 0x02, 0x00, m.wire})) << to_string(m.sent);
      expect_round_trip(sent, v, connack{false, m.received, {}});
    }
    // MQTT 3.1 has no Session Present flag (the byte is reserved); 3.1.1 carries it.
    const bool present_on_wire = v != protocol_version::v3_1;
    expect_round_trip(connack{true, reason_code::success, {}}, v,
                      connack{present_on_wire, reason_code::success, {}});
  }
}

// ---- PUBLISH --------------------------------------------------------------------------------

TEST(round_trip, publish_every_qos_and_flag) {
  for (auto v : k_all_versions) {
    for (auto q : {qos::at_most_once, qos::at_least_once, qos::exactly_once}) {
      for (bool retain : {false, true}) {
        for (bool dup : {false, true}) {
          if (q == qos::at_most_once && dup) continue;  // [MQTT-3.3.1-2]
          publish p;
          p.topic = "sensors/room-1/temp";
          p.payload = bin("21.5");
          p.qos_level = q;
          p.retain = retain;
          p.dup = dup;
          p.packet_id = q == qos::at_most_once ? 0 : 0xBEEF;
          expect_lossless(p, v);
        }
      }
    }
  }
}

TEST(round_trip, publish_empty_and_binary_payloads) {
  for (auto v : k_all_versions) {
    publish p;
    p.topic = "t";
    expect_lossless(p, v);  // empty payload
    p.payload.resize(300);
    for (std::size_t i = 0; i < p.payload.size(); ++i) {
      p.payload[i] = static_cast<std::uint8_t>(i * 7);
    }
    p.qos_level = qos::at_least_once;
    p.packet_id = 1;
    expect_lossless(p, v);
  }
}

TEST(round_trip, publish_v5_with_rich_properties) {
  publish p;
  p.topic = "a/b";
  p.payload = bin("{\"on\":true}");
  p.qos_level = qos::exactly_once;
  p.packet_id = 65'535;
  p.props = rich_publish_props();
  expect_lossless(p, protocol_version::v5);
}

TEST(round_trip, publish_v5_empty_topic_with_topic_alias) {
  publish p;
  p.topic = "";
  p.payload = bin("x");
  p.props.topic_alias = 3;
  expect_lossless(p, protocol_version::v5);
}

TEST(round_trip, publish_v3_drops_properties) {
  publish p;
  p.topic = "a/b";
  p.payload = bin("x");
  p.qos_level = qos::at_least_once;
  p.packet_id = 5;
  p.props = rich_publish_props();
  auto expected = p;
  expected.props = {};
  for (auto v : k_v3_versions) expect_round_trip(p, v, expected);
}

// ---- PUBACK / PUBREC / PUBREL / PUBCOMP ------------------------------------------------------

template <typename Ack>
void check_ack_round_trips(const std::vector<reason_code>& v5_codes) {
  for (auto v : k_all_versions) {
    Ack a;
    a.packet_id = 1;
    expect_lossless(a, v);
    a.packet_id = 65'535;
    expect_lossless(a, v);
  }
  for (auto rc : v5_codes) {
    Ack a;
    a.packet_id = 77;
    a.reason = rc;
    expect_lossless(a, protocol_version::v5);  // reason only
    a.props = reason_props("why");
    expect_lossless(a, protocol_version::v5);  // reason and properties
    Ack expected;
    expected.packet_id = 77;  // 3.1/3.1.1 carry the packet id only
    for (auto v : k_v3_versions) expect_round_trip(a, v, expected);
  }
  Ack a;
  a.packet_id = 9;
  a.props.user_properties = {{"only", "props"}};  // success reason with properties
  expect_lossless(a, protocol_version::v5);
}

TEST(round_trip, puback) {
  check_ack_round_trips<puback>(
      {reason_code::success, reason_code::no_matching_subscribers, reason_code::unspecified_error,
       reason_code::implementation_specific_error, reason_code::not_authorized,
       reason_code::topic_name_invalid, reason_code::packet_identifier_in_use,
       reason_code::quota_exceeded, reason_code::payload_format_invalid});
}

TEST(round_trip, pubrec) {
  check_ack_round_trips<pubrec>(
      {reason_code::success, reason_code::no_matching_subscribers, reason_code::unspecified_error,
       reason_code::implementation_specific_error, reason_code::not_authorized,
       reason_code::topic_name_invalid, reason_code::packet_identifier_in_use,
       reason_code::quota_exceeded, reason_code::payload_format_invalid});
}

TEST(round_trip, pubrel) {
  check_ack_round_trips<pubrel>({reason_code::success, reason_code::packet_identifier_not_found});
}

TEST(round_trip, pubcomp) {
  check_ack_round_trips<pubcomp>({reason_code::success, reason_code::packet_identifier_not_found});
}

// ---- SUBSCRIBE / SUBACK ---------------------------------------------------------------------

subscribe full_subscribe() {
  subscribe s;
  s.packet_id = 10;
  s.subscriptions = {
      {"a/b", {qos::at_most_once, false, false, retain_handling::send_on_subscribe}},
      {"a/+/c", {qos::at_least_once, true, false, retain_handling::send_if_new_subscription}},
      {"#", {qos::exactly_once, false, true, retain_handling::do_not_send}},
      {"$share/g/x/#", {qos::exactly_once, false, true, retain_handling::send_if_new_subscription}},
  };
  s.props.subscription_identifiers = {268'435'455};
  s.props.user_properties = {{"u", "1"}, {"u", "2"}};
  return s;
}

TEST(round_trip, subscribe_v5_keeps_options_and_properties) {
  expect_lossless(full_subscribe(), protocol_version::v5);
}

TEST(round_trip, subscribe_v3_keeps_only_qos) {
  const auto s = full_subscribe();
  subscribe expected;
  expected.packet_id = s.packet_id;
  for (const auto& sub : s.subscriptions) {
    subscription e;
    e.filter = sub.filter;
    e.options.max_qos = sub.options.max_qos;
    expected.subscriptions.push_back(e);
  }
  for (auto v : k_v3_versions) expect_round_trip(s, v, expected);
}

TEST(round_trip, subscribe_single_filter_every_version) {
  for (auto v : k_all_versions) {
    subscribe s;
    s.packet_id = 1;
    s.subscriptions = {{"x", {qos::at_least_once, false, false, {}}}};
    expect_lossless(s, v);
  }
}

TEST(round_trip, suback_v5_all_reason_codes) {
  suback s;
  s.packet_id = 10;
  s.reasons = {reason_code::success,
               reason_code::granted_qos_1,
               reason_code::granted_qos_2,
               reason_code::unspecified_error,
               reason_code::implementation_specific_error,
               reason_code::not_authorized,
               reason_code::topic_filter_invalid,
               reason_code::packet_identifier_in_use,
               reason_code::quota_exceeded,
               reason_code::shared_subscriptions_not_supported,
               reason_code::subscription_identifiers_not_supported,
               reason_code::wildcard_subscriptions_not_supported};
  s.props = reason_props("granted");
  expect_lossless(s, protocol_version::v5);
}

TEST(round_trip, suback_v3_maps_failures_to_0x80) {
  suback s;
  s.packet_id = 10;
  s.reasons = {reason_code::success,        reason_code::granted_qos_1,
               reason_code::granted_qos_2,  reason_code::unspecified_error,
               reason_code::not_authorized, reason_code::topic_filter_invalid,
               reason_code::quota_exceeded};
  s.props = reason_props("dropped");
  suback expected;
  expected.packet_id = 10;
  expected.reasons = {reason_code::success,           reason_code::granted_qos_1,
                      reason_code::granted_qos_2,     reason_code::unspecified_error,
                      reason_code::unspecified_error, reason_code::unspecified_error,
                      reason_code::unspecified_error};
  for (auto v : k_v3_versions) {
    EXPECT_EQ(encode_bytes(s, v),
              (bytes{0x90, 0x09, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80, 0x80, 0x80, 0x80}));
    expect_round_trip(s, v, expected);
  }
}

// ---- UNSUBSCRIBE / UNSUBACK -----------------------------------------------------------------

TEST(round_trip, unsubscribe) {
  unsubscribe u;
  u.packet_id = 0x1234;
  u.filters = {"a/b", "a/+", "#", "$share/g/a"};
  for (auto v : k_v3_versions) expect_lossless(u, v);
  u.props.user_properties = {{"k", "v"}, {"k", "w"}};
  expect_lossless(u, protocol_version::v5);
  auto expected = u;
  expected.props = {};
  for (auto v : k_v3_versions) expect_round_trip(u, v, expected);
}

TEST(round_trip, unsuback) {
  unsuback u;
  u.packet_id = 0x1234;
  u.reasons = {reason_code::success,
               reason_code::no_subscription_existed,
               reason_code::unspecified_error,
               reason_code::implementation_specific_error,
               reason_code::not_authorized,
               reason_code::topic_filter_invalid,
               reason_code::packet_identifier_in_use};
  u.props = reason_props("done");
  expect_lossless(u, protocol_version::v5);
  // 3.1/3.1.1 UNSUBACK carries the packet id only.
  unsuback expected;
  expected.packet_id = 0x1234;
  for (auto v : k_v3_versions) expect_round_trip(u, v, expected);
}

// ---- PINGREQ / PINGRESP / DISCONNECT / AUTH ---------------------------------------------------

TEST(round_trip, ping) {
  for (auto v : k_all_versions) {
    expect_lossless(pingreq{}, v);
    expect_lossless(pingresp{}, v);
  }
}

TEST(round_trip, disconnect) {
  for (auto v : k_all_versions) expect_lossless(disconnect{}, v);
  const std::vector<reason_code> codes = {reason_code::success,
                                          reason_code::disconnect_with_will_message,
                                          reason_code::unspecified_error,
                                          reason_code::malformed_packet,
                                          reason_code::protocol_error,
                                          reason_code::implementation_specific_error,
                                          reason_code::not_authorized,
                                          reason_code::server_busy,
                                          reason_code::server_shutting_down,
                                          reason_code::keep_alive_timeout,
                                          reason_code::session_taken_over,
                                          reason_code::topic_filter_invalid,
                                          reason_code::topic_name_invalid,
                                          reason_code::receive_maximum_exceeded,
                                          reason_code::topic_alias_invalid,
                                          reason_code::packet_too_large,
                                          reason_code::message_rate_too_high,
                                          reason_code::quota_exceeded,
                                          reason_code::administrative_action,
                                          reason_code::payload_format_invalid,
                                          reason_code::retain_not_supported,
                                          reason_code::qos_not_supported,
                                          reason_code::use_another_server,
                                          reason_code::server_moved,
                                          reason_code::shared_subscriptions_not_supported,
                                          reason_code::connection_rate_exceeded,
                                          reason_code::maximum_connect_time,
                                          reason_code::subscription_identifiers_not_supported,
                                          reason_code::wildcard_subscriptions_not_supported};
  for (auto rc : codes) {
    expect_lossless(disconnect{rc, {}}, protocol_version::v5);
    const disconnect d{rc, rich_disconnect_props()};
    expect_lossless(d, protocol_version::v5);
    for (auto v : k_v3_versions) expect_round_trip(d, v, disconnect{});
  }
}

TEST(round_trip, auth_v5_only) {
  for (auto rc :
       {reason_code::success, reason_code::continue_authentication, reason_code::re_authenticate}) {
    expect_lossless(auth{rc, {}}, protocol_version::v5);
    expect_lossless(auth{rc, rich_auth_props()}, protocol_version::v5);
  }
  expect_lossless(auth{}, protocol_version::v5);
}

// ---- coverage of the fixtures themselves ------------------------------------------------------

TEST(round_trip, fixtures_cover_every_property) {
  std::set<property_id> seen;
  for (const auto& p :
       {rich_connect_props(), rich_will_props(), rich_connack_props(), rich_publish_props(),
        reason_props("r"), rich_disconnect_props(), rich_auth_props(), full_subscribe().props}) {
    const auto ids = present_ids(p);
    seen.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(seen.size(), k_property_count);
}

TEST(round_trip, type_of_matches_wire_type) {
  EXPECT_EQ(type_of(connect{}), packet_type::connect);
  EXPECT_EQ(type_of(puback{}), packet_type::puback);
  EXPECT_EQ(type_of(pubcomp{}), packet_type::pubcomp);
  EXPECT_EQ(type_of(unsuback{}), packet_type::unsuback);
  EXPECT_EQ(type_of(auth{}), packet_type::auth);
}

}  // namespace
}  // namespace tern::codec
