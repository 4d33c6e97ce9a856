// One test per malformed-input rule: the exact decode_error and the reason code it maps to.
// Property rules live in properties_test.cpp.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "codec_test_support.hpp"

namespace tern::codec {
namespace {

using namespace test;

constexpr auto k_malformed = reason_code::malformed_packet;
constexpr auto k_protocol = reason_code::protocol_error;

wire connect_head(std::string_view name, std::uint8_t level, std::uint8_t flags) {
  wire w;
  w.str(name).u8(level).u8(flags).u16(60);
  return w;
}

bytes connect_packet(const wire& body) {
  return packet_bytes(0x10, body);
}

// A minimal CONNECT body for `level` with the given flags and nothing after the client id.
wire connect_body(std::uint8_t level, std::uint8_t flags) {
  wire w = connect_head(level == 3 ? "MQIsdp" : "MQTT", level, flags);
  if (level == 5) w.no_props();
  w.str("cid");
  return w;
}

// ---- fixed header ------------------------------------------------------------------------------

TEST(malformed, reserved_packet_type_0) {
  for (auto o : {opts({}), v311(), v5()}) {
    EXPECT_TRUE(fails_with({0x00, 0x00}, o, decode_error::reserved_packet_type, k_protocol));
    EXPECT_TRUE(fails_with({0x0F}, o, decode_error::reserved_packet_type, k_protocol));
  }
}

TEST(malformed, auth_before_v5) {
  for (auto o : {opts({}), opts(protocol_version::v3_1), v311()}) {
    EXPECT_TRUE(fails_with({0xF0, 0x00}, o, decode_error::reserved_packet_type, k_protocol));
    const auto r = decode_bytes({0xF0, 0x00}, o);
    ASSERT_TRUE(r.type.has_value());
    EXPECT_EQ(*r.type, packet_type::auth);
  }
  packet p;
  EXPECT_TRUE(decodes_whole({0xF0, 0x00}, v5(), p));
}

TEST(malformed, invalid_fixed_header_flags) {
  // [MQTT-2.1.3-1]: reserved flag bits must have the listed values; otherwise Malformed Packet.
  const bytes subscribe_body = {0x00, 0x01, 0x00, 0x01, 'a', 0x00};
  const bytes subscribe5_body = {0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x00};
  const bytes id_body = {0x00, 0x01};
  auto with = [](std::uint8_t first, const bytes& body) {
    return packet_bytes(first, wire{}.raw(std::span<const std::uint8_t>(body)));
  };
  const std::vector<bytes> v311_cases = {
      with(0x80, subscribe_body),  // SUBSCRIBE must be 0x82
      with(0x83, subscribe_body),
      with(0x8A, subscribe_body),
      with(0x60, id_body),  // PUBREL must be 0x62
      with(0x63, id_body),
      with(0xA0, {0x00, 0x01, 0x00, 0x01, 'a'}),  // UNSUBSCRIBE must be 0xA2
      with(0x11, connect_body(4, 0x02)),          // CONNECT must be 0x10
      with(0x18, connect_body(4, 0x02)),
      with(0x21, {0x00, 0x00}),        // CONNACK
      with(0x42, id_body),             // PUBACK
      with(0x51, id_body),             // PUBREC
      with(0x78, id_body),             // PUBCOMP
      with(0x92, {0x00, 0x01, 0x00}),  // SUBACK
      with(0xB1, id_body),             // UNSUBACK
      with(0xC1, {}),                  // PINGREQ
      with(0xD4, {}),                  // PINGRESP
      with(0xE2, {}),                  // DISCONNECT
  };
  for (const auto& wire : v311_cases) {
    EXPECT_TRUE(fails_with(wire, v311(), decode_error::invalid_fixed_header_flags, k_malformed))
        << std::hex << int{wire[0]};
  }
  EXPECT_TRUE(fails_with(with(0x80, subscribe5_body), v5(),
                         decode_error::invalid_fixed_header_flags, k_malformed));
  EXPECT_TRUE(
      fails_with({0xF1, 0x00}, v5(), decode_error::invalid_fixed_header_flags, k_malformed));
  EXPECT_TRUE(fails_with({0x60, 0x02, 0x00, 0x01}, v5(), decode_error::invalid_fixed_header_flags,
                         k_malformed));
  // The first byte alone is enough to refuse.
  EXPECT_TRUE(fails_with({0x11}, opts({}), decode_error::invalid_fixed_header_flags, k_malformed));
}

TEST(malformed, mqtt_3_1_accepts_zero_flags_on_pubrel_subscribe_unsubscribe) {
  // Documented leniency for MQTT 3.1 clients; 0x02 is accepted too.
  const auto o = opts(protocol_version::v3_1);
  packet p;
  EXPECT_TRUE(decodes_whole({0x60, 0x02, 0x00, 0x01}, o, p));
  EXPECT_TRUE(decodes_whole({0x62, 0x02, 0x00, 0x01}, o, p));
  EXPECT_TRUE(decodes_whole({0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}, o, p));
  EXPECT_TRUE(decodes_whole({0xA0, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}, o, p));
  EXPECT_TRUE(fails_with({0x61, 0x02, 0x00, 0x01}, o, decode_error::invalid_fixed_header_flags,
                         k_malformed));
}

TEST(malformed, remaining_length_of_five_bytes) {
  // [MQTT-1.5.5]: at most four bytes.
  EXPECT_TRUE(fails_with({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, v311(),
                         decode_error::malformed_remaining_length, k_malformed));
  EXPECT_TRUE(fails_with({0xC0, 0x80, 0x80, 0x80, 0x80, 0x00}, v5(),
                         decode_error::malformed_remaining_length, k_malformed));
  // Four continuation bytes are already enough to know.
  EXPECT_TRUE(fails_with({0x30, 0xFF, 0xFF, 0xFF, 0xFF}, v311(),
                         decode_error::malformed_remaining_length, k_malformed));
  // Three are not.
  EXPECT_EQ(decode_bytes({0x30, 0xFF, 0xFF, 0xFF}, v311()).status, decode_status::need_more);
}

TEST(malformed, non_minimal_remaining_length) {
  // [MQTT-1.5.5-1]
  EXPECT_TRUE(fails_with({0xC0, 0x80, 0x00}, v311(), decode_error::malformed_remaining_length,
                         k_malformed));
  EXPECT_TRUE(fails_with({0x30, 0x82, 0x80, 0x00}, v5(), decode_error::malformed_remaining_length,
                         k_malformed));
}

TEST(malformed, packet_too_large_refused_from_the_header) {
  decode_options o = v311();
  o.max_packet_size = 100;
  // 1 + 1 + 98 = 100 bytes: allowed, so the decoder waits for the body.
  auto r = decode_bytes({0x30, 0x62}, o);
  EXPECT_EQ(r.status, decode_status::need_more);
  // 1 + 1 + 99 = 101 bytes: refused at once, without the body.
  EXPECT_TRUE(
      fails_with({0x30, 0x63}, o, decode_error::packet_too_large, reason_code::packet_too_large));
  r = decode_bytes({0x30, 0x63}, o);
  ASSERT_TRUE(r.type.has_value());
  EXPECT_EQ(*r.type, packet_type::publish);
  EXPECT_TRUE(fails_with({0x30, 0x80, 0x01}, o, decode_error::packet_too_large,
                         reason_code::packet_too_large));
  // The default maximum is the largest packet MQTT can express: just wait for the body.
  EXPECT_EQ(decode_bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F}, v5()).status, decode_status::need_more);

  // Exactly the maximum decodes.
  publish p;
  p.topic = "t";
  p.payload.resize(95);  // 2 + 1 + 95 = 98 body bytes
  const auto wire = encode_bytes(p, protocol_version::v3_1_1);
  ASSERT_EQ(wire.size(), 100u);
  packet decoded;
  EXPECT_TRUE(decodes_whole(wire, o, decoded));
  o.max_packet_size = 99;
  EXPECT_TRUE(fails_with(wire, o, decode_error::packet_too_large, reason_code::packet_too_large));
  // Even a PINGREQ is too large for a maximum of 1.
  o.max_packet_size = 1;
  EXPECT_TRUE(
      fails_with({0xC0, 0x00}, o, decode_error::packet_too_large, reason_code::packet_too_large));
}

// ---- field structure ----------------------------------------------------------------------------

TEST(malformed, truncated_fields) {
  struct test_case {
    const char* what;
    bytes wire;
    decode_options options;
  };
  const std::vector<test_case> cases = {
      {"protocol name", connect_packet(wire{0x00, 0x04, 'M', 'Q'}), opts({})},
      {"protocol level", connect_packet(wire{}.str("MQTT")), opts({})},
      {"keep alive", connect_packet(wire{}.str("MQTT").u8(4).u8(2).u8(0)), opts({})},
      {"client id", connect_packet(connect_head("MQTT", 4, 0x02).raw({0x00, 0x05, 'a', 'b'})),
       opts({})},
      {"client id length", connect_packet(connect_head("MQTT", 4, 0x02).u8(0)), opts({})},
      {"will topic", connect_packet(connect_body(4, 0x06)), opts({})},
      {"will payload", connect_packet(connect_body(4, 0x06).str("w").u8(0)), opts({})},
      {"username", connect_packet(connect_body(4, 0x82)), opts({})},
      {"password", connect_packet(connect_body(4, 0xC2).str("u")), opts({})},
      {"v5 connect properties", connect_packet(connect_head("MQTT", 5, 0x02)), opts({})},
      {"v5 will properties", connect_packet(connect_body(5, 0x06)), opts({})},
      {"connack", {0x20, 0x01, 0x00}, v311()},
      {"v5 connack property length", {0x20, 0x02, 0x00, 0x00}, v5()},
      {"publish topic", {0x30, 0x02, 0x00, 0x05}, v311()},
      {"publish topic length", {0x30, 0x01, 0x00}, v311()},
      {"publish packet id", {0x32, 0x03, 0x00, 0x01, 't'}, v311()},
      {"publish packet id byte", {0x32, 0x04, 0x00, 0x01, 't', 0x00}, v311()},
      {"v5 publish property length", {0x30, 0x03, 0x00, 0x01, 't'}, v5()},
      {"puback", {0x40, 0x01, 0x00}, v311()},
      {"pubrel", {0x62, 0x00}, v5()},
      {"subscribe options", {0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'}, v311()},
      {"subscribe filter", {0x82, 0x05, 0x00, 0x01, 0x00, 0x03, 'a'}, v311()},
      {"v5 subscribe property length", {0x82, 0x02, 0x00, 0x01}, v5()},
      {"v5 suback property length", {0x90, 0x02, 0x00, 0x01}, v5()},
      {"unsubscribe filter", {0xA2, 0x04, 0x00, 0x01, 0x00, 0x02}, v311()},
      {"v5 unsuback property length", {0xB0, 0x02, 0x00, 0x01}, v5()},
      {"unsuback", {0xB0, 0x01, 0x00}, v311()},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(fails_with(c.wire, c.options, decode_error::truncated, k_malformed)) << c.what;
  }
}

TEST(malformed, trailing_bytes) {
  struct test_case {
    const char* what;
    bytes wire;
    decode_options options;
  };
  const std::vector<test_case> cases = {
      {"pingreq", {0xC0, 0x01, 0x00}, v311()},
      {"pingresp", {0xD0, 0x01, 0x00}, v5()},
      {"connect", connect_packet(connect_body(4, 0x02).u8(0)), opts({})},
      {"v5 connect", connect_packet(connect_body(5, 0x02).u8(0)), opts({})},
      {"connack", {0x20, 0x03, 0x00, 0x00, 0x00}, v311()},
      {"v5 connack", {0x20, 0x04, 0x00, 0x00, 0x00, 0x00}, v5()},
      // 3.1.1 acks are the packet id only: a v5-style reason code is a trailing byte.
      {"puback", {0x40, 0x03, 0x00, 0x01, 0x00}, v311()},
      {"puback before version known", {0x40, 0x03, 0x00, 0x01, 0x00}, opts({})},
      {"pubcomp", {0x70, 0x04, 0x00, 0x01, 0x00, 0x00}, v311()},
      {"v5 puback", {0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00}, v5()},
      {"unsuback", {0xB0, 0x03, 0x00, 0x01, 0x00}, v311()},
      {"disconnect", {0xE0, 0x01, 0x00}, v311()},
      {"v5 disconnect", {0xE0, 0x03, 0x00, 0x00, 0x00}, v5()},
      {"v5 auth", {0xF0, 0x03, 0x00, 0x00, 0x00}, v5()},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(fails_with(c.wire, c.options, decode_error::trailing_bytes, k_malformed)) << c.what;
  }
}

// ---- UTF-8
// ---------------------------------------------------------------------------------------

TEST(malformed, invalid_utf8_in_every_string_field) {
  const std::vector<bytes> bad_strings = {
      {0xC0, 0xAF},              // overlong '/'
      {'a', 0xED, 0xA0, 0x80},   // surrogate U+D800
      {'a', 0x00, 'b'},          // U+0000
      {0xF4, 0x90, 0x80, 0x80},  // U+110000
      {0x80},                    // lone continuation byte
      {'x', 0xE2, 0x82},         // truncated sequence
  };
  for (const auto& bad : bad_strings) {
    auto check = [&](const char* what, const bytes& wire, const decode_options& o) {
      EXPECT_TRUE(fails_with(wire, o, decode_error::invalid_utf8, k_malformed)) << what;
    };
    check("client id", connect_packet(connect_head("MQTT", 4, 0x02).str_raw(bad)), opts({}));
    check("will topic", connect_packet(connect_body(4, 0x06).str_raw(bad).str("")), opts({}));
    check("username", connect_packet(connect_body(4, 0x82).str_raw(bad)), opts({}));
    check("publish topic", packet_bytes(0x30, wire{}.str_raw(bad)), v311());
    check("subscribe filter", packet_bytes(0x82, wire{}.u16(1).str_raw(bad).u8(0)), v311());
    check("unsubscribe filter", packet_bytes(0xA2, wire{}.u16(1).str_raw(bad)), v311());
    check("user property key",
          packet_bytes(0x30, wire{}.str("t").props(wire{}.u8(0x26).str_raw(bad).str("v"))), v5());
    check("user property value",
          packet_bytes(0x30, wire{}.str("t").props(wire{}.u8(0x26).str("k").str_raw(bad))), v5());
    check("reason string", packet_bytes(0xE0, wire{}.u8(0).props(wire{}.u8(0x1F).str_raw(bad))),
          v5());
    check("content type", packet_bytes(0x30, wire{}.str("t").props(wire{}.u8(0x03).str_raw(bad))),
          v5());
  }
}

TEST(malformed, binary_fields_are_not_utf8_checked) {
  // Will payload, password and correlation data are Binary Data: any bytes.
  packet p;
  ASSERT_TRUE(decodes_whole(connect_packet(connect_body(4, 0xC6)
                                               .str("w")
                                               .str_bytes({0xC0, 0x00})
                                               .str("u")
                                               .str_bytes({0xED, 0xA0, 0x80})),
                            opts({}), p));
  const auto& c = std::get<connect>(p);
  EXPECT_EQ(c.will->payload, bin({0xC0, 0x00}));
  EXPECT_EQ(*c.password, bin({0xED, 0xA0, 0x80}));
  // A PUBLISH payload is not a string either.
  ASSERT_TRUE(decodes_whole({0x30, 0x05, 0x00, 0x01, 't', 0xFF, 0x00}, v311(), p));
  EXPECT_EQ(std::get<publish>(p).payload, bin({0xFF, 0x00}));
}

TEST(malformed, byte_order_mark_is_accepted_and_kept) {
  // [MQTT-1.5.4-3]
  packet p;
  ASSERT_TRUE(
      decodes_whole(packet_bytes(0x30, wire{}.str_bytes({0xEF, 0xBB, 0xBF, 'a'})), v311(), p));
  EXPECT_EQ(std::get<publish>(p).topic,
            "\xEF\xBB\xBF"
            "a");
  ASSERT_TRUE(decodes_whole(
      connect_packet(connect_head("MQTT", 4, 0x02).str_bytes({0xEF, 0xBB, 0xBF})), opts({}), p));
  EXPECT_EQ(std::get<connect>(p).client_id, "\xEF\xBB\xBF");
}

// ---- CONNECT
// -------------------------------------------------------------------------------------

TEST(malformed, bad_protocol_name) {
  // [MQTT-3.1.2-1]
  for (auto name : {"MQTX", "mqtt", "MQT", "MQTTT", "", "MQisdp", "MQIsdP"}) {
    const auto wire = connect_packet(connect_head(name, 4, 0x02).str("c"));
    EXPECT_TRUE(fails_with(wire, opts({}), decode_error::invalid_protocol_name, k_protocol))
        << name;
    EXPECT_FALSE(decode_bytes(wire, opts({})).version.has_value());
  }
}

TEST(malformed, unsupported_protocol_level) {
  // [MQTT-3.1.2-2]: the level is reported, the version stays unset.
  struct test_case {
    std::string_view name;
    std::uint8_t level;
  };
  for (const auto& c : {test_case{"MQTT", 6}, test_case{"MQTT", 3}, test_case{"MQTT", 0},
                        test_case{"MQTT", 2}, test_case{"MQTT", 0xFF}, test_case{"MQIsdp", 4},
                        test_case{"MQIsdp", 5}, test_case{"MQIsdp", 6}}) {
    const auto wire = connect_packet(connect_head(c.name, c.level, 0x02).str("c"));
    EXPECT_TRUE(fails_with(wire, opts({}), decode_error::unsupported_protocol_version,
                           reason_code::unsupported_protocol_version))
        << c.name << ' ' << int{c.level};
    const auto r = decode_bytes(wire, opts({}));
    EXPECT_FALSE(r.version.has_value());
    ASSERT_TRUE(r.type.has_value());
    EXPECT_EQ(*r.type, packet_type::connect);
  }
}

TEST(malformed, reserved_connect_flag) {
  // [MQTT-3.1.2-3]
  for (std::uint8_t level : bytes{3, 4, 5}) {
    const auto wire = connect_packet(connect_body(level, 0x03));
    EXPECT_TRUE(fails_with(wire, opts({}), decode_error::reserved_connect_flag, k_malformed));
    // The level was readable, so it is reported for the CONNACK.
    const auto r = decode_bytes(wire, opts({}));
    ASSERT_TRUE(r.version.has_value());
    EXPECT_EQ(static_cast<int>(*r.version), level);
  }
}

TEST(malformed, will_qos_without_will_flag) {
  // [MQTT-3.1.2-11]
  for (std::uint8_t flags : bytes{0x0A, 0x12, 0x1A}) {
    EXPECT_TRUE(fails_with(connect_packet(connect_body(4, flags)), opts({}),
                           decode_error::invalid_will_flags, k_malformed));
    EXPECT_TRUE(fails_with(connect_packet(connect_body(5, flags)), opts({}),
                           decode_error::invalid_will_flags, k_malformed));
  }
}

TEST(malformed, will_retain_without_will_flag) {
  // [MQTT-3.1.2-13]
  EXPECT_TRUE(fails_with(connect_packet(connect_body(4, 0x22)), opts({}),
                         decode_error::invalid_will_flags, k_malformed));
}

TEST(malformed, will_qos_3) {
  // [MQTT-3.1.2-12]
  EXPECT_TRUE(fails_with(connect_packet(connect_body(4, 0x1E).str("w").str("p")), opts({}),
                         decode_error::invalid_will_flags, k_malformed));
  EXPECT_TRUE(fails_with(connect_packet(connect_body(5, 0x1E)), opts({}),
                         decode_error::invalid_will_flags, k_malformed));
}

TEST(malformed, password_without_username) {
  // [MQTT-3.1.2-22] in 3.1.1 (and 3.1); MQTT 5 allows it.
  EXPECT_TRUE(fails_with(connect_packet(connect_body(4, 0x42).str("pw")), opts({}),
                         decode_error::password_without_username, k_malformed));
  EXPECT_TRUE(fails_with(connect_packet(connect_body(3, 0x42).str("pw")), opts({}),
                         decode_error::password_without_username, k_malformed));
  packet p;
  ASSERT_TRUE(decodes_whole(connect_packet(connect_body(5, 0x42).str("pw")), opts({}), p));
  const auto& c = std::get<connect>(p);
  EXPECT_FALSE(c.username.has_value());
  EXPECT_EQ(c.password, bin("pw"));
}

TEST(malformed, will_topic_with_wildcard_or_empty) {
  EXPECT_TRUE(fails_with(connect_packet(connect_body(4, 0x06).str("a/#").str("")), opts({}),
                         decode_error::topic_name_invalid, reason_code::topic_name_invalid));
  EXPECT_TRUE(fails_with(connect_packet(connect_body(4, 0x06).str("").str("")), opts({}),
                         decode_error::topic_name_invalid, reason_code::topic_name_invalid));
}

// ---- PUBLISH ------------------------------------------------------------------------------------

TEST(malformed, publish_qos_3) {
  // [MQTT-3.3.1-4]
  for (std::uint8_t first : bytes{0x36, 0x37, 0x3E, 0x3F}) {
    EXPECT_TRUE(fails_with({first, 0x05, 0x00, 0x01, 't', 0x00, 0x01}, v311(),
                           decode_error::invalid_qos, k_malformed));
  }
}

TEST(malformed, dup_on_qos_0) {
  // [MQTT-3.3.1-2]
  EXPECT_TRUE(
      fails_with({0x38, 0x03, 0x00, 0x01, 't'}, v311(), decode_error::dup_on_qos0, k_malformed));
  EXPECT_TRUE(fails_with({0x39, 0x04, 0x00, 0x01, 't', 0x00}, v5(), decode_error::dup_on_qos0,
                         k_malformed));
}

TEST(malformed, zero_packet_id) {
  // [MQTT-2.2.1-3]
  const std::vector<bytes> v311_cases = {
      {0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00},  // PUBLISH QoS 1
      {0x34, 0x05, 0x00, 0x01, 't', 0x00, 0x00},  // PUBLISH QoS 2
      {0x40, 0x02, 0x00, 0x00},
      {0x50, 0x02, 0x00, 0x00},
      {0x62, 0x02, 0x00, 0x00},
      {0x70, 0x02, 0x00, 0x00},
      {0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'a', 0x00},
      {0x90, 0x03, 0x00, 0x00, 0x00},
      {0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'a'},
      {0xB0, 0x02, 0x00, 0x00},
  };
  for (const auto& wire : v311_cases) {
    EXPECT_TRUE(fails_with(wire, v311(), decode_error::zero_packet_id, k_malformed))
        << std::hex << int{wire[0]};
  }
  EXPECT_TRUE(fails_with({0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x00, 0x00}, v5(),
                         decode_error::zero_packet_id, k_malformed));
  // QoS 0 carries no packet id at all: these bytes are payload.
  packet p;
  ASSERT_TRUE(decodes_whole({0x30, 0x05, 0x00, 0x01, 't', 0x00, 0x00}, v311(), p));
  EXPECT_EQ(std::get<publish>(p).packet_id, 0);
  EXPECT_EQ(std::get<publish>(p).payload, bin({0x00, 0x00}));
}

TEST(malformed, wildcard_in_publish_topic) {
  // [MQTT-3.3.2-2]
  for (auto topic : {"a/+", "#", "a/#", "+", "a+b"}) {
    EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str(topic)), v311(),
                           decode_error::topic_name_invalid, reason_code::topic_name_invalid))
        << topic;
    EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str(topic).no_props()), v5(),
                           decode_error::topic_name_invalid, reason_code::topic_name_invalid))
        << topic;
  }
}

TEST(malformed, empty_topic) {
  // [MQTT-4.7.3-1] in 3.1.1; in MQTT 5 only with a Topic Alias [MQTT-3.3.2-1].
  EXPECT_TRUE(fails_with({0x30, 0x02, 0x00, 0x00}, v311(), decode_error::topic_name_invalid,
                         reason_code::topic_name_invalid));
  EXPECT_TRUE(fails_with({0x30, 0x03, 0x00, 0x00, 0x00}, v5(), decode_error::topic_name_invalid,
                         reason_code::topic_name_invalid));
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("").props(wire{}.u8(0x01).u8(0x01))), v5(),
                         decode_error::topic_name_invalid, reason_code::topic_name_invalid));
  packet p;
  ASSERT_TRUE(decodes_whole({0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x05, 'x'}, v5(), p));
  const auto& pub = std::get<publish>(p);
  EXPECT_EQ(pub.topic, "");
  EXPECT_EQ(pub.props.topic_alias, 5);
  EXPECT_EQ(pub.payload, bin("x"));
  // An alias does not excuse a wildcard.
  EXPECT_TRUE(fails_with(packet_bytes(0x30, wire{}.str("a/#").props(wire{}.u8(0x23).u16(1))), v5(),
                         decode_error::topic_name_invalid, reason_code::topic_name_invalid));
}

// ---- SUBSCRIBE / UNSUBSCRIBE --------------------------------------------------------------------

TEST(malformed, subscribe_without_filters) {
  // [MQTT-3.8.3-2]
  EXPECT_TRUE(fails_with({0x82, 0x02, 0x00, 0x01}, v311(), decode_error::empty_topic_filter_list,
                         k_protocol));
  EXPECT_TRUE(fails_with({0x82, 0x03, 0x00, 0x01, 0x00}, v5(),
                         decode_error::empty_topic_filter_list, k_protocol));
}

TEST(malformed, unsubscribe_without_filters) {
  // [MQTT-3.10.3-2]
  EXPECT_TRUE(fails_with({0xA2, 0x02, 0x00, 0x01}, v311(), decode_error::empty_topic_filter_list,
                         k_protocol));
  EXPECT_TRUE(fails_with({0xA2, 0x03, 0x00, 0x01, 0x00}, v5(),
                         decode_error::empty_topic_filter_list, k_protocol));
}

bytes subscribe_with_options(std::uint8_t options, std::string_view filter, bool v5) {
  wire w;
  w.u16(1);
  if (v5) w.no_props();
  w.str("ok").u8(0x00).str(filter).u8(options);  // the bad entry is the second one
  return packet_bytes(0x82, w);
}

TEST(malformed, reserved_subscription_option_bits) {
  // [MQTT-3.8.3-5]; in 3.1.1 bits 2-7 are reserved, in MQTT 5 bits 6-7.
  for (std::uint8_t bits : bytes{0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFC}) {
    EXPECT_TRUE(fails_with(subscribe_with_options(bits, "a", false), v311(),
                           decode_error::reserved_subscription_bits, k_malformed))
        << int{bits};
  }
  for (std::uint8_t bits : bytes{0x40, 0x80, 0xC0, 0x41}) {
    EXPECT_TRUE(fails_with(subscribe_with_options(bits, "a", true), v5(),
                           decode_error::reserved_subscription_bits, k_malformed))
        << int{bits};
  }
}

TEST(malformed, subscription_max_qos_3) {
  EXPECT_TRUE(fails_with(subscribe_with_options(0x03, "a", false), v311(),
                         decode_error::invalid_qos, k_malformed));
  EXPECT_TRUE(fails_with(subscribe_with_options(0x03, "a", true), v5(), decode_error::invalid_qos,
                         k_malformed));
}

TEST(malformed, retain_handling_3) {
  EXPECT_TRUE(fails_with(subscribe_with_options(0x30, "a", true), v5(),
                         decode_error::invalid_retain_handling, k_protocol));
  EXPECT_TRUE(fails_with(subscribe_with_options(0x31, "a", true), v5(),
                         decode_error::invalid_retain_handling, k_protocol));
}

TEST(malformed, no_local_on_shared_subscription) {
  // [MQTT-3.8.3-4]
  EXPECT_TRUE(fails_with(subscribe_with_options(0x04, "$share/g/a", true), v5(),
                         decode_error::no_local_on_shared, k_protocol));
  EXPECT_TRUE(fails_with(subscribe_with_options(0x05, "$share/g/#", true), v5(),
                         decode_error::no_local_on_shared, k_protocol));
  packet p;
  EXPECT_TRUE(decodes_whole(subscribe_with_options(0x04, "a/b", true), v5(), p));
  EXPECT_TRUE(decodes_whole(subscribe_with_options(0x00, "$share/g/a", true), v5(), p));
}

TEST(malformed, subscription_options_decode_into_fields) {
  packet p;
  ASSERT_TRUE(decodes_whole(subscribe_with_options(0x2E, "a", true), v5(), p));
  const auto& s = std::get<subscribe>(p);
  ASSERT_EQ(s.subscriptions.size(), 2u);
  EXPECT_EQ(s.subscriptions[0].filter, "ok");
  EXPECT_EQ(s.subscriptions[0].options, subscription_options{});
  EXPECT_EQ(s.subscriptions[1].filter, "a");
  EXPECT_EQ(s.subscriptions[1].options,
            (subscription_options{qos::exactly_once, true, true, retain_handling::do_not_send}));
  ASSERT_TRUE(decodes_whole(subscribe_with_options(0x19, "a", true), v5(), p));
  EXPECT_EQ(std::get<subscribe>(p).subscriptions[1].options,
            (subscription_options{qos::at_least_once, false, true,
                                  retain_handling::send_if_new_subscription}));
}

// ---- reason codes -------------------------------------------------------------------------------

// The Reason Code tables of MQTT 5.0, written out per packet from sections 3.2.2.2, 3.4.2.1,
// 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1 and 3.15.2.1.
const std::vector<std::uint8_t> k_spec_connack = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                                                  0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
                                                  0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
const std::vector<std::uint8_t> k_spec_puback = {0x00, 0x10, 0x80, 0x83, 0x87,
                                                 0x90, 0x91, 0x97, 0x99};
const std::vector<std::uint8_t> k_spec_pubrel = {0x00, 0x92};
const std::vector<std::uint8_t> k_spec_suback = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                                 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
const std::vector<std::uint8_t> k_spec_unsuback = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
// 3.14.2.1 plus 0x8C, which Table 2-6 lists for DISCONNECT too.
const std::vector<std::uint8_t> k_spec_disconnect = {
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93,
    0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
const std::vector<std::uint8_t> k_spec_auth = {0x00, 0x18, 0x19};

bool in(const std::vector<std::uint8_t>& set, int value) {
  for (auto v : set) {
    if (v == value) return true;
  }
  return false;
}

// Decodes the v5 packet built by `make(code)` for every byte value and checks that exactly the
// codes of `allowed` decode, and every other one is invalid_reason_code / Malformed Packet.
template <typename Make>
void check_reason_table(const char* what, const std::vector<std::uint8_t>& allowed, Make make) {
  for (int code = 0; code < 256; ++code) {
    const auto wire = make(static_cast<std::uint8_t>(code));
    if (in(allowed, code)) {
      packet p;
      EXPECT_TRUE(decodes_whole(wire, v5(), p)) << what << " code 0x" << std::hex << code;
    } else {
      EXPECT_TRUE(fails_with(wire, v5(), decode_error::invalid_reason_code, k_malformed))
          << what << " code 0x" << std::hex << code;
    }
  }
}

TEST(malformed, v5_reason_code_tables) {
  check_reason_table("CONNACK", k_spec_connack, [](std::uint8_t c) {
    return bytes{0x20, 0x03, 0x00, c, 0x00};
  });
  check_reason_table("PUBACK", k_spec_puback, [](std::uint8_t c) {
    return bytes{0x40, 0x03, 0x00, 0x01, c};
  });
  check_reason_table("PUBREC", k_spec_puback,
                     [](std::uint8_t c) { return bytes{0x50, 0x04, 0x00, 0x01, c, 0x00}; });
  check_reason_table("PUBREL", k_spec_pubrel, [](std::uint8_t c) {
    return bytes{0x62, 0x03, 0x00, 0x01, c};
  });
  check_reason_table("PUBCOMP", k_spec_pubrel, [](std::uint8_t c) {
    return bytes{0x70, 0x03, 0x00, 0x01, c};
  });
  check_reason_table("SUBACK", k_spec_suback,
                     [](std::uint8_t c) { return bytes{0x90, 0x05, 0x00, 0x01, 0x00, 0x00, c}; });
  check_reason_table("UNSUBACK", k_spec_unsuback,
                     [](std::uint8_t c) { return bytes{0xB0, 0x05, 0x00, 0x01, 0x00, 0x11, c}; });
  check_reason_table("DISCONNECT", k_spec_disconnect, [](std::uint8_t c) {
    return bytes{0xE0, 0x01, c};
  });
  check_reason_table("AUTH", k_spec_auth, [](std::uint8_t c) {
    return bytes{0xF0, 0x02, c, 0x00};
  });
}

TEST(malformed, invalid_reason_codes_examples) {
  EXPECT_TRUE(fails_with({0x40, 0x03, 0x00, 0x01, 0x92}, v5(), decode_error::invalid_reason_code,
                         k_malformed));  // PUBACK with a PUBREL code
  EXPECT_TRUE(fails_with({0x62, 0x03, 0x00, 0x01, 0x10}, v5(), decode_error::invalid_reason_code,
                         k_malformed));  // PUBREL with a PUBACK code
  EXPECT_TRUE(fails_with({0xE0, 0x01, 0x88}, v5(), decode_error::invalid_reason_code,
                         k_malformed));  // Server unavailable is CONNACK-only
  EXPECT_TRUE(fails_with({0x20, 0x03, 0x00, 0x01, 0x00}, v5(), decode_error::invalid_reason_code,
                         k_malformed));  // Granted QoS 1 in CONNACK
}

TEST(malformed, v3_connack_return_codes) {
  // MQTT 3.1.1 section 3.2.2.3: 0..5, the rest reserved.
  for (int code = 0; code < 256; ++code) {
    const bytes wire = {0x20, 0x02, 0x00, static_cast<std::uint8_t>(code)};
    if (code <= 5) {
      packet p;
      EXPECT_TRUE(decodes_whole(wire, v311(), p)) << code;
    } else {
      EXPECT_TRUE(fails_with(wire, v311(), decode_error::invalid_reason_code, k_malformed)) << code;
    }
  }
}

TEST(malformed, connack_reserved_acknowledge_flags) {
  // [MQTT-3.2.2-1]: bits 7-1 of the Connect Acknowledge Flags are reserved.
  EXPECT_TRUE(fails_with({0x20, 0x02, 0x02, 0x00}, v311(), decode_error::reserved_connect_flag,
                         k_malformed));
  EXPECT_TRUE(fails_with({0x20, 0x03, 0x80, 0x00, 0x00}, v5(), decode_error::reserved_connect_flag,
                         k_malformed));
}

TEST(malformed, v3_suback_return_codes) {
  // MQTT 3.1.1 section 3.9.3: 0x00, 0x01, 0x02 and 0x80.
  for (int code = 0; code < 256; ++code) {
    const bytes wire = {0x90, 0x04, 0x00, 0x01, 0x00, static_cast<std::uint8_t>(code)};
    if (code <= 2 || code == 0x80) {
      packet p;
      EXPECT_TRUE(decodes_whole(wire, v311(), p)) << code;
    } else {
      EXPECT_TRUE(fails_with(wire, v311(), decode_error::invalid_reason_code, k_malformed)) << code;
    }
  }
}

TEST(malformed, decode_error_names_and_reason_mapping_cover_every_error) {
  // Anything not named in the spec as a Protocol Error (or with its own code) is Malformed.
  EXPECT_EQ(to_reason_code(decode_error::none), reason_code::success);
  EXPECT_EQ(to_reason_code(decode_error::malformed_varint), k_malformed);
  EXPECT_EQ(to_reason_code(decode_error::unknown_property), k_malformed);
  EXPECT_EQ(to_reason_code(decode_error::property_not_allowed), k_malformed);
  EXPECT_EQ(to_reason_code(decode_error::invalid_reason_code), k_malformed);
  for (int e = 0; e <= static_cast<int>(decode_error::invalid_property_value); ++e) {
    EXPECT_NE(to_string(static_cast<decode_error>(e)), "unknown decode error") << e;
  }
}

}  // namespace
}  // namespace tern::codec
