// MQTT 5 properties ([MQTT-2.2.2]): every identifier in every packet, the allowed-packet table,
// "at most once", value ranges and the bounds of the property block.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "codec_test_support.hpp"

namespace tern::codec {
namespace {

using namespace test;

constexpr auto k_malformed = reason_code::malformed_packet;
constexpr auto k_protocol = reason_code::protocol_error;

// Where a property block can sit.
enum class where : std::uint8_t {
  will,
  connect,
  connack,
  publish,
  puback,
  pubrec,
  pubrel,
  pubcomp,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  disconnect,
  auth,
};

constexpr std::array k_everywhere = {
    where::will,        where::connect,  where::connack,    where::publish,   where::puback,
    where::pubrec,      where::pubrel,   where::pubcomp,    where::subscribe, where::suback,
    where::unsubscribe, where::unsuback, where::disconnect, where::auth};

const char* name_of(where w) {
  switch (w) {
    case where::will:
      return "will";
    case where::connect:
      return "CONNECT";
    case where::connack:
      return "CONNACK";
    case where::publish:
      return "PUBLISH";
    case where::puback:
      return "PUBACK";
    case where::pubrec:
      return "PUBREC";
    case where::pubrel:
      return "PUBREL";
    case where::pubcomp:
      return "PUBCOMP";
    case where::subscribe:
      return "SUBSCRIBE";
    case where::suback:
      return "SUBACK";
    case where::unsubscribe:
      return "UNSUBSCRIBE";
    case where::unsuback:
      return "UNSUBACK";
    case where::disconnect:
      return "DISCONNECT";
    case where::auth:
      return "AUTH";
  }
  return "?";
}

// A valid MQTT 5 packet with `content` as the (only non-empty) property block at `w`.
bytes packet_with_props(where w, const wire& content) {
  switch (w) {
    case where::will:
      return packet_bytes(
          0x10,
          wire{}.str("MQTT").u8(5).u8(0x06).u16(0).no_props().str("c").props(content).str("w").str(
              ""));
    case where::connect:
      return packet_bytes(0x10, wire{}.str("MQTT").u8(5).u8(0x02).u16(0).props(content).str("c"));
    case where::connack:
      return packet_bytes(0x20, wire{}.u8(0).u8(0).props(content));
    case where::publish:
      return packet_bytes(0x30, wire{}.str("t").props(content).text("p"));
    case where::puback:
      return packet_bytes(0x40, wire{}.u16(1).u8(0).props(content));
    case where::pubrec:
      return packet_bytes(0x50, wire{}.u16(1).u8(0).props(content));
    case where::pubrel:
      return packet_bytes(0x62, wire{}.u16(1).u8(0).props(content));
    case where::pubcomp:
      return packet_bytes(0x70, wire{}.u16(1).u8(0).props(content));
    case where::subscribe:
      return packet_bytes(0x82, wire{}.u16(1).props(content).str("a").u8(0));
    case where::suback:
      return packet_bytes(0x90, wire{}.u16(1).props(content).u8(0));
    case where::unsubscribe:
      return packet_bytes(0xA2, wire{}.u16(1).props(content).str("a"));
    case where::unsuback:
      return packet_bytes(0xB0, wire{}.u16(1).props(content).u8(0));
    case where::disconnect:
      return packet_bytes(0xE0, wire{}.u8(0).props(content));
    case where::auth:
      return packet_bytes(0xF0, wire{}.u8(0).props(content));
  }
  return {};
}

const properties& props_of(where w, const packet& p) {
  if (w == where::will) return std::get<connect>(p).will->props;
  return std::visit(
      [](const auto& v) -> const properties& {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, pingreq> || std::is_same_v<T, pingresp>) {
          static const properties none;
          return none;
        } else {
          return v.props;
        }
      },
      p);
}

struct property_case {
  property_id id;
  wire value;  // the value bytes after the identifier
  std::function<void(properties&)> set;
  bool repeatable;
  std::vector<where> allowed;  // MQTT 5.0 section 2.2.2.2, Table 2-4
};

std::vector<property_case> all_properties() {
  using w = where;
  const std::vector<where> everywhere(k_everywhere.begin(), k_everywhere.end());
  return {
      {property_id::payload_format_indicator,
       wire{}.u8(1),
       [](properties& p) { p.payload_format_indicator = 1; },
       false,
       {w::publish, w::will}},
      {property_id::message_expiry_interval,
       wire{}.u32(0x01020304),
       [](properties& p) { p.message_expiry_interval = 0x01020304; },
       false,
       {w::publish, w::will}},
      {property_id::content_type,
       wire{}.str("text/plain"),
       [](properties& p) { p.content_type = "text/plain"; },
       false,
       {w::publish, w::will}},
      {property_id::response_topic,
       wire{}.str("resp/topic"),
       [](properties& p) { p.response_topic = "resp/topic"; },
       false,
       {w::publish, w::will}},
      {property_id::correlation_data,
       wire{}.str_raw({0x00, 0xFF}),
       [](properties& p) {
         p.correlation_data = bin({0x00, 0xFF});
       },
       false,
       {w::publish, w::will}},
      {property_id::subscription_identifier,
       wire{}.raw({0xFF, 0xFF, 0xFF, 0x7F}),
       [](properties& p) { p.subscription_identifiers = {268'435'455}; },
       false,
       {w::publish, w::subscribe}},
      {property_id::session_expiry_interval,
       wire{}.u32(0xFFFFFFFF),
       [](properties& p) { p.session_expiry_interval = 0xFFFFFFFF; },
       false,
       {w::connect, w::connack, w::disconnect}},
      {property_id::assigned_client_identifier,
       wire{}.str("assigned"),
       [](properties& p) { p.assigned_client_identifier = "assigned"; },
       false,
       {w::connack}},
      {property_id::server_keep_alive,
       wire{}.u16(300),
       [](properties& p) { p.server_keep_alive = 300; },
       false,
       {w::connack}},
      {property_id::authentication_method,
       wire{}.str("SCRAM"),
       [](properties& p) { p.authentication_method = "SCRAM"; },
       false,
       {w::connect, w::connack, w::auth}},
      {property_id::authentication_data,
       wire{}.str_raw({1, 2, 3}),
       [](properties& p) {
         p.authentication_data = bin({1, 2, 3});
       },
       false,
       {w::connect, w::connack, w::auth}},
      {property_id::request_problem_information,
       wire{}.u8(0),
       [](properties& p) { p.request_problem_information = 0; },
       false,
       {w::connect}},
      {property_id::will_delay_interval,
       wire{}.u32(10),
       [](properties& p) { p.will_delay_interval = 10; },
       false,
       {w::will}},
      {property_id::request_response_information,
       wire{}.u8(1),
       [](properties& p) { p.request_response_information = 1; },
       false,
       {w::connect}},
      {property_id::response_information,
       wire{}.str("info"),
       [](properties& p) { p.response_information = "info"; },
       false,
       {w::connack}},
      {property_id::server_reference,
       wire{}.str("srv"),
       [](properties& p) { p.server_reference = "srv"; },
       false,
       {w::connack, w::disconnect}},
      {property_id::reason_string,
       wire{}.str("why"),
       [](properties& p) { p.reason_string = "why"; },
       false,
       {w::connack, w::puback, w::pubrec, w::pubrel, w::pubcomp, w::suback, w::unsuback,
        w::disconnect, w::auth}},
      {property_id::receive_maximum,
       wire{}.u16(1),
       [](properties& p) { p.receive_maximum = 1; },
       false,
       {w::connect, w::connack}},
      {property_id::topic_alias_maximum,
       wire{}.u16(0),
       [](properties& p) { p.topic_alias_maximum = 0; },
       false,
       {w::connect, w::connack}},
      {property_id::topic_alias,
       wire{}.u16(0xFFFF),
       [](properties& p) { p.topic_alias = 0xFFFF; },
       false,
       {w::publish}},
      {property_id::maximum_qos,
       wire{}.u8(0),
       [](properties& p) { p.maximum_qos = 0; },
       false,
       {w::connack}},
      {property_id::retain_available,
       wire{}.u8(1),
       [](properties& p) { p.retain_available = 1; },
       false,
       {w::connack}},
      {property_id::user_property, wire{}.str("k").str("v"),
       [](properties& p) {
         p.user_properties = {{"k", "v"}};
       },
       true, everywhere},
      {property_id::maximum_packet_size,
       wire{}.u32(1),
       [](properties& p) { p.maximum_packet_size = 1; },
       false,
       {w::connect, w::connack}},
      {property_id::wildcard_subscription_available,
       wire{}.u8(0),
       [](properties& p) { p.wildcard_subscription_available = 0; },
       false,
       {w::connack}},
      {property_id::subscription_identifier_available,
       wire{}.u8(1),
       [](properties& p) { p.subscription_identifier_available = 1; },
       false,
       {w::connack}},
      {property_id::shared_subscription_available,
       wire{}.u8(0),
       [](properties& p) { p.shared_subscription_available = 0; },
       false,
       {w::connack}},
  };
}

wire one(const property_case& c) {
  return wire{}.u8(static_cast<std::uint8_t>(c.id)).raw(c.value);
}

TEST(properties, table_covers_every_identifier) {
  const auto cases = all_properties();
  EXPECT_EQ(cases.size(), k_property_count);
  properties all;
  for (const auto& c : cases) c.set(all);
  EXPECT_EQ(present_ids(all).size(), k_property_count);
}

TEST(properties, every_property_in_every_packet) {
  for (const auto& c : all_properties()) {
    for (auto w : k_everywhere) {
      const auto wire_bytes = packet_with_props(w, one(c));
      const bool allowed = std::find(c.allowed.begin(), c.allowed.end(), w) != c.allowed.end();
      SCOPED_TRACE(::testing::Message()
                   << "property 0x" << std::hex << static_cast<int>(c.id) << " in " << name_of(w));
      if (allowed) {
        packet p;
        ASSERT_TRUE(decodes_whole(wire_bytes,
                                  w == where::will || w == where::connect ? opts({}) : v5(), p));
        properties expected;
        c.set(expected);
        EXPECT_EQ(props_of(w, p), expected);
        // The encoder writes it back byte for byte.
        EXPECT_EQ(encode_bytes(p, protocol_version::v5), wire_bytes);
      } else {
        // [MQTT-2.2.2-2]: an identifier not valid for the packet is a Malformed Packet.
        EXPECT_TRUE(fails_with(wire_bytes, v5(), decode_error::property_not_allowed, k_malformed));
      }
    }
  }
}

TEST(properties, examples_of_properties_not_allowed) {
  // Topic Alias in CONNECT, Will Delay in PUBLISH, Session Expiry in a will, Reason String in
  // PUBLISH, Subscription Identifier in a will.
  EXPECT_TRUE(fails_with(packet_with_props(where::connect, wire{}.u8(0x23).u16(1)), opts({}),
                         decode_error::property_not_allowed, k_malformed));
  EXPECT_TRUE(fails_with(packet_with_props(where::publish, wire{}.u8(0x18).u32(1)), v5(),
                         decode_error::property_not_allowed, k_malformed));
  EXPECT_TRUE(fails_with(packet_with_props(where::will, wire{}.u8(0x11).u32(1)), opts({}),
                         decode_error::property_not_allowed, k_malformed));
  EXPECT_TRUE(fails_with(packet_with_props(where::publish, wire{}.u8(0x1F).str("x")), v5(),
                         decode_error::property_not_allowed, k_malformed));
  EXPECT_TRUE(fails_with(packet_with_props(where::will, wire{}.u8(0x0B).u8(1)), opts({}),
                         decode_error::property_not_allowed, k_malformed));
}

TEST(properties, unknown_identifiers) {
  std::vector<std::uint8_t> known;
  for (const auto& c : all_properties()) known.push_back(static_cast<std::uint8_t>(c.id));
  for (int id = 0; id < 0x80; ++id) {
    if (std::find(known.begin(), known.end(), id) != known.end()) continue;
    const auto content = wire{}.u8(static_cast<std::uint8_t>(id)).u8(0).u8(0).u8(0).u8(0);
    EXPECT_TRUE(fails_with(packet_with_props(where::publish, content), v5(),
                           decode_error::unknown_property, k_malformed))
        << "id 0x" << std::hex << id;
    EXPECT_TRUE(fails_with(packet_with_props(where::connack, content), v5(),
                           decode_error::unknown_property, k_malformed))
        << "id 0x" << std::hex << id;
  }
  // Identifiers are Variable Byte Integers: two-byte identifiers are unknown, not misread.
  EXPECT_TRUE(fails_with(packet_with_props(where::publish, wire{0x81, 0x01, 0x01}), v5(),
                         decode_error::unknown_property, k_malformed));  // 129
  EXPECT_TRUE(fails_with(packet_with_props(where::publish, wire{0x80, 0x01, 0x01}), v5(),
                         decode_error::unknown_property, k_malformed));  // 128
  // A non-minimal identifier (0x81 0x00 would be 1) is a malformed integer.
  EXPECT_TRUE(fails_with(packet_with_props(where::publish, wire{0x81, 0x00, 0x01}), v5(),
                         decode_error::malformed_varint, k_malformed));
}

TEST(properties, duplicates_are_protocol_errors) {
  for (const auto& c : all_properties()) {
    if (c.repeatable || c.id == property_id::subscription_identifier) continue;
    const where w = c.allowed.front();
    SCOPED_TRACE(::testing::Message()
                 << "property 0x" << std::hex << static_cast<int>(c.id) << " in " << name_of(w));
    const auto content = wire{}.raw(one(c)).raw(one(c));
    EXPECT_TRUE(fails_with(packet_with_props(w, content), v5(), decode_error::duplicate_property,
                           k_protocol));
    // Also when something else sits between the two.
    const auto spaced = wire{}.raw(one(c)).u8(0x26).str("a").str("b").raw(one(c));
    EXPECT_TRUE(fails_with(packet_with_props(w, spaced), v5(), decode_error::duplicate_property,
                           k_protocol));
  }
}

TEST(properties, two_session_expiry_intervals_in_connect) {
  const auto content = wire{}.u8(0x11).u32(1).u8(0x11).u32(2);
  EXPECT_TRUE(fails_with(packet_with_props(where::connect, content), opts({}),
                         decode_error::duplicate_property, k_protocol));
}

TEST(properties, user_properties_repeat_in_order_everywhere) {
  const auto content =
      wire{}.u8(0x26).str("k").str("1").u8(0x26).str("k").str("2").u8(0x26).str("a").str("");
  for (auto w : k_everywhere) {
    packet p;
    ASSERT_TRUE(decodes_whole(packet_with_props(w, content),
                              w == where::will || w == where::connect ? opts({}) : v5(), p))
        << name_of(w);
    const std::vector<string_pair> expected = {{"k", "1"}, {"k", "2"}, {"a", ""}};
    EXPECT_EQ(props_of(w, p).user_properties, expected) << name_of(w);
  }
}

TEST(properties, subscription_identifiers_repeat_in_publish_only) {
  const auto two = wire{}.u8(0x0B).u8(0x05).u8(0x0B).raw({0x80, 0x01});
  packet p;
  ASSERT_TRUE(decodes_whole(packet_with_props(where::publish, two), v5(), p));
  EXPECT_EQ(props_of(where::publish, p).subscription_identifiers,
            (std::vector<std::uint32_t>{5, 128}));
  // SUBSCRIBE carries at most one [MQTT-3.8.2.1.2].
  EXPECT_TRUE(fails_with(packet_with_props(where::subscribe, two), v5(),
                         decode_error::duplicate_property, k_protocol));
}

TEST(properties, order_on_the_wire_does_not_matter) {
  // The encoder writes identifiers in ascending order; the decoder accepts any order.
  const auto reversed = wire{}
                            .u8(0x26)
                            .str("u")
                            .str("1")
                            .u8(0x23)
                            .u16(4)
                            .u8(0x0B)
                            .u8(9)
                            .u8(0x26)
                            .str("u")
                            .str("2")
                            .u8(0x0B)
                            .u8(3)
                            .u8(0x01)
                            .u8(1);
  packet p;
  ASSERT_TRUE(decodes_whole(packet_with_props(where::publish, reversed), v5(), p));
  properties expected;
  expected.user_properties = {{"u", "1"}, {"u", "2"}};
  expected.topic_alias = 4;
  expected.subscription_identifiers = {9, 3};
  expected.payload_format_indicator = 1;
  EXPECT_EQ(props_of(where::publish, p), expected);
}

TEST(properties, invalid_values_are_protocol_errors) {
  struct test_case {
    const char* what;
    where w;
    wire content;
  };
  const std::vector<test_case> cases = {
      {"payload format indicator 2", where::publish, wire{0x01, 0x02}},
      {"payload format indicator 0xFF in will", where::will, wire{0x01, 0xFF}},
      {"request problem information 2", where::connect, wire{0x17, 0x02}},
      {"request response information 2", where::connect, wire{0x19, 0x02}},
      {"maximum qos 2", where::connack, wire{0x24, 0x02}},
      {"retain available 2", where::connack, wire{0x25, 0x02}},
      {"wildcard subscription available 2", where::connack, wire{0x28, 0x02}},
      {"subscription identifier available 2", where::connack, wire{0x29, 0x02}},
      {"shared subscription available 2", where::connack, wire{0x2A, 0x02}},
      {"receive maximum 0 in connect", where::connect, wire{0x21, 0x00, 0x00}},
      {"receive maximum 0 in connack", where::connack, wire{0x21, 0x00, 0x00}},
      {"maximum packet size 0 in connect", where::connect, wire{0x27, 0x00, 0x00, 0x00, 0x00}},
      {"maximum packet size 0 in connack", where::connack, wire{0x27, 0x00, 0x00, 0x00, 0x00}},
      {"subscription identifier 0 in publish", where::publish, wire{0x0B, 0x00}},
      {"subscription identifier 0 in subscribe", where::subscribe, wire{0x0B, 0x00}},
      {"response topic with +", where::publish, wire{}.u8(0x08).str("a/+")},
      {"response topic with #", where::will, wire{}.u8(0x08).str("#")},
      {"empty response topic", where::publish, wire{}.u8(0x08).str("")},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(fails_with(packet_with_props(c.w, c.content),
                           c.w == where::will || c.w == where::connect ? opts({}) : v5(),
                           decode_error::invalid_property_value, k_protocol))
        << c.what;
  }
}

TEST(properties, boundary_values_are_accepted) {
  packet p;
  ASSERT_TRUE(decodes_whole(
      packet_with_props(
          where::connack,
          wire{}.u8(0x21).u16(1).u8(0x27).u32(1).u8(0x22).u16(0).u8(0x13).u16(0).u8(0x24).u8(1)),
      v5(), p));
  const auto& props = props_of(where::connack, p);
  EXPECT_EQ(props.receive_maximum, 1);
  EXPECT_EQ(props.maximum_packet_size, 1u);
  EXPECT_EQ(props.topic_alias_maximum, 0);
  EXPECT_EQ(props.server_keep_alive, 0);
  EXPECT_EQ(props.maximum_qos, 1);
}

TEST(properties, property_length_past_the_packet) {
  // The block claims 5 bytes but the packet ends after 2.
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("t").u8(5).u8(0x01).u8(0x01)), v5(),
                         decode_error::truncated, k_malformed));
  EXPECT_TRUE(fails_with(packet_bytes(0xE0, wire{}.u8(0).u8(10).u8(0x11)), v5(),
                         decode_error::truncated, k_malformed));
  EXPECT_TRUE(fails_with(packet_bytes(0x10, wire{}.str("MQTT").u8(5).u8(2).u16(0).u8(3).u8(0x11)),
                         opts({}), decode_error::truncated, k_malformed));
  // A property block length that is not a valid Variable Byte Integer.
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("t").raw({0xFF, 0xFF, 0xFF, 0xFF, 0x7F})),
                         v5(), decode_error::malformed_varint, k_malformed));
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("t").raw({0x80, 0x00})), v5(),
                         decode_error::malformed_varint, k_malformed));
}

TEST(properties, value_past_the_end_of_the_block) {
  // The block is 3 bytes but Message Expiry needs 1 + 4; the payload after the block must not be
  // read as the rest of the value.
  EXPECT_TRUE(
      fails_with(packet_bytes(0x30, wire{}.str("t").u8(3).u8(0x02).u8(0).u8(0).raw({0, 0, 0, 0})),
                 v5(), decode_error::truncated, k_malformed));
  // A user property string running past the block.
  EXPECT_TRUE(fails_with(
      packet_bytes(0x30, wire{}.str("t").u8(4).u8(0x26).u16(1).u8('k').raw({0x00, 0x01, 'v'})),
      v5(), decode_error::truncated, k_malformed));
  // A subscription identifier cut short inside the block.
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("t").u8(2).u8(0x0B).u8(0x80).raw({0x01})),
                         v5(), decode_error::truncated, k_malformed));
  // A subscription identifier that is not a valid Variable Byte Integer.
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("t").u8(3).u8(0x0B).raw({0x80, 0x00})), v5(),
                         decode_error::malformed_varint, k_malformed));
}

TEST(properties, empty_block_everywhere) {
  for (auto w : k_everywhere) {
    packet p;
    ASSERT_TRUE(decodes_whole(packet_with_props(w, wire{}),
                              w == where::will || w == where::connect ? opts({}) : v5(), p))
        << name_of(w);
    EXPECT_EQ(props_of(w, p), properties{}) << name_of(w);
  }
}

TEST(properties, v3_packets_have_no_property_block) {
  // In 3.1.1 the byte after the topic is payload, even if it looks like a property block.
  packet p;
  ASSERT_TRUE(decodes_whole({0x30, 0x05, 0x00, 0x01, 't', 0x01, 0x01}, v311(), p));
  EXPECT_EQ(std::get<publish>(p).props, properties{});
  EXPECT_EQ(std::get<publish>(p).payload, bin({0x01, 0x01}));
}

}  // namespace
}  // namespace tern::codec

namespace tern::codec {
namespace {

// empty() checks the fields one by one; a field it forgets would make it disagree with
// comparing against an empty object.
TEST(properties, empty_notices_every_field) {
  const std::vector<std::function<void(properties&)>> setters = {
      [](properties& p) { p.payload_format_indicator = 1; },
      [](properties& p) { p.message_expiry_interval = 1; },
      [](properties& p) { p.content_type = "t"; },
      [](properties& p) { p.response_topic = "r"; },
      [](properties& p) { p.correlation_data = binary{}; },
      [](properties& p) { p.subscription_identifiers.push_back(1); },
      [](properties& p) { p.session_expiry_interval = 1; },
      [](properties& p) { p.assigned_client_identifier = "c"; },
      [](properties& p) { p.server_keep_alive = 1; },
      [](properties& p) { p.authentication_method = "m"; },
      [](properties& p) { p.authentication_data = binary{}; },
      [](properties& p) { p.request_problem_information = 0; },
      [](properties& p) { p.will_delay_interval = 0; },
      [](properties& p) { p.request_response_information = 0; },
      [](properties& p) { p.response_information = ""; },
      [](properties& p) { p.server_reference = ""; },
      [](properties& p) { p.reason_string = ""; },
      [](properties& p) { p.receive_maximum = 1; },
      [](properties& p) { p.topic_alias_maximum = 0; },
      [](properties& p) { p.topic_alias = 1; },
      [](properties& p) { p.maximum_qos = 0; },
      [](properties& p) { p.retain_available = 0; },
      [](properties& p) { p.user_properties.emplace_back("k", "v"); },
      [](properties& p) { p.maximum_packet_size = 1; },
      [](properties& p) { p.wildcard_subscription_available = 0; },
      [](properties& p) { p.subscription_identifier_available = 0; },
      [](properties& p) { p.shared_subscription_available = 0; },
  };
  EXPECT_TRUE(properties{}.empty());
  for (std::size_t i = 0; i < setters.size(); ++i) {
    properties p;
    setters[i](p);
    EXPECT_FALSE(p.empty()) << "setter " << i;
    EXPECT_NE(p, properties{}) << "setter " << i;
  }
}

// A field added to properties changes its size: add it to empty() and to the test above.
static_assert(sizeof(properties) == 472, "a new property field");

}  // namespace
}  // namespace tern::codec
