// Byte-exact checks against hand-written wire bytes, both directions: the bytes decode to the
// struct and the struct encodes to exactly those bytes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "codec_test_support.hpp"

namespace tern::codec {
namespace {

using namespace test;

void expect_wire(const packet& p, protocol_version v, const bytes& wire) {
  SCOPED_TRACE(::testing::Message() << to_string(type_of(p)) << " at MQTT " << to_string(v));
  bytes out;
  EXPECT_EQ(encode(p, v, out), wire.size());
  EXPECT_EQ(out, wire);
  decode_options o;
  if (type_of(p) != packet_type::connect) o.version = v;
  packet decoded;
  ASSERT_TRUE(decodes_whole(wire, o, decoded));
  EXPECT_EQ(decoded, p);
}

TEST(wire_format, connect_3_1_1) {
  // Variable header as in the MQTT 3.1.1 example (section 3.1.2.10): protocol name "MQTT",
  // level 4, flags 0xCE (username, password, will QoS 1, will flag, clean session), keep alive 10.
  const bytes wire = {
      0x10, 0x1E,                      // CONNECT, remaining length 30
      0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
      0x04,                            // level
      0xCE,                            // connect flags
      0x00, 0x0A,                      // keep alive
      0x00, 0x04, 't', 'e', 'r', 'n',  // client id
      0x00, 0x01, 'w',                 // will topic
      0x00, 0x03, 'b', 'y', 'e',       // will payload
      0x00, 0x01, 'u',                 // username
      0x00, 0x01, 'p',                 // password
  };
  connect c;
  c.version = protocol_version::v3_1_1;
  c.clean_start = true;
  c.keep_alive = 10;
  c.client_id = "tern";
  c.will = will_message{"w", bin("bye"), qos::at_least_once, false, {}};
  c.username = "u";
  c.password = bin("p");
  expect_wire(c, protocol_version::v3_1_1, wire);

  const auto r = decode_bytes(wire, {});
  ASSERT_TRUE(r.version.has_value());
  EXPECT_EQ(*r.version, protocol_version::v3_1_1);
}

TEST(wire_format, connect_3_1) {
  const bytes wire = {0x10, 0x0F, 0x00, 0x06, 'M',  'Q',  'I',  's', 'd',
                      'p',  0x03, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c'};
  connect c;
  c.version = protocol_version::v3_1;
  c.keep_alive = 60;
  c.client_id = "c";
  expect_wire(c, protocol_version::v3_1, wire);
}

TEST(wire_format, connect_5_with_properties) {
  const bytes wire = {
      0x10, 0x19,                                // remaining length 25
      0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05,  // name, level 5
      0xC2,                                      // username, password, clean start
      0x00, 0x00,                                // keep alive 0
      0x05, 0x11, 0x00, 0x00, 0x00, 0x78,        // properties: session expiry 120
      0x00, 0x00,                                // empty client id
      0x00, 0x01, 'u',                           // username
      0x00, 0x02, 0x00, 0xFF,                    // password (binary)
  };
  connect c;
  c.props.session_expiry_interval = 120;
  c.username = "u";
  c.password = bin({0x00, 0xFF});
  expect_wire(c, protocol_version::v5, wire);
}

TEST(wire_format, connack) {
  expect_wire(connack{true, reason_code::success, {}}, protocol_version::v3_1_1,
              {0x20, 0x02, 0x01, 0x00});
  expect_wire(connack{false, reason_code::not_authorized, {}}, protocol_version::v3_1_1,
              {0x20, 0x02, 0x00, 0x05});
  expect_wire(connack{false, reason_code::success, {}}, protocol_version::v5,
              {0x20, 0x03, 0x00, 0x00, 0x00});
  connack c{true, reason_code::banned, {}};
  c.props.maximum_qos = 1;
  c.props.retain_available = 0;
  expect_wire(c, protocol_version::v5, {0x20, 0x07, 0x01, 0x8A, 0x04, 0x24, 0x01, 0x25, 0x00});
}

TEST(wire_format, publish_qos1) {
  // Topic "a/b", packet id 10, payload "hi" (MQTT 3.1.1 section 3.3.2.3 example layout).
  const bytes wire = {0x32, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'};
  publish p;
  p.topic = "a/b";
  p.qos_level = qos::at_least_once;
  p.packet_id = 10;
  p.payload = bin("hi");
  expect_wire(p, protocol_version::v3_1_1, wire);
}

TEST(wire_format, publish_flags) {
  publish p;
  p.topic = "t";
  p.qos_level = qos::exactly_once;
  p.packet_id = 0x0102;
  p.dup = true;
  p.retain = true;
  expect_wire(p, protocol_version::v3_1_1, {0x3D, 0x05, 0x00, 0x01, 't', 0x01, 0x02});
  publish q;
  q.topic = "t";
  q.retain = true;
  expect_wire(q, protocol_version::v3_1_1, {0x31, 0x03, 0x00, 0x01, 't'});
}

TEST(wire_format, publish_v5_properties) {
  publish p;
  p.topic = "t";
  p.qos_level = qos::at_least_once;
  p.packet_id = 1;
  p.payload = bin("x");
  p.props.payload_format_indicator = 1;
  p.props.subscription_identifiers = {1, 200};
  p.props.user_properties = {{"k", "v"}};
  const bytes wire = {0x32, 0x15,                               // remaining length 21
                      0x00, 0x01, 't',  0x00, 0x01,             // topic, packet id
                      0x0E,                                     // property length 14
                      0x01, 0x01,                               // payload format indicator 1
                      0x0B, 0x01,                               // subscription identifier 1
                      0x0B, 0xC8, 0x01,                         // subscription identifier 200
                      0x26, 0x00, 0x01, 'k',  0x00, 0x01, 'v',  // user property
                      'x'};
  expect_wire(p, protocol_version::v5, wire);
}

TEST(wire_format, puback_v5_reason_omitted) {
  // [MQTT-3.4.2.1]: success without properties omits the reason code: remaining length 2.
  puback a;
  a.packet_id = 10;
  expect_wire(a, protocol_version::v5, {0x40, 0x02, 0x00, 0x0A});
  a.reason = reason_code::no_matching_subscribers;
  expect_wire(a, protocol_version::v5, {0x40, 0x03, 0x00, 0x0A, 0x10});
}

TEST(wire_format, puback_v5_explicit_success_and_empty_properties_decode) {
  packet p;
  ASSERT_TRUE(decodes_whole({0x40, 0x03, 0x00, 0x0A, 0x00}, v5(), p));
  EXPECT_EQ(p, (packet{puback{{10, reason_code::success, {}}}}));
  ASSERT_TRUE(decodes_whole({0x40, 0x04, 0x00, 0x0A, 0x00, 0x00}, v5(), p));
  EXPECT_EQ(p, (packet{puback{{10, reason_code::success, {}}}}));
}

TEST(wire_format, acks_3_1_1) {
  expect_wire(puback{{7, {}, {}}}, protocol_version::v3_1_1, {0x40, 0x02, 0x00, 0x07});
  expect_wire(pubrec{{7, {}, {}}}, protocol_version::v3_1_1, {0x50, 0x02, 0x00, 0x07});
  expect_wire(pubrel{{7, {}, {}}}, protocol_version::v3_1_1, {0x62, 0x02, 0x00, 0x07});
  expect_wire(pubcomp{{7, {}, {}}}, protocol_version::v3_1_1, {0x70, 0x02, 0x00, 0x07});
}

TEST(wire_format, subscribe_and_suback) {
  subscribe s;
  s.packet_id = 1;
  s.subscriptions = {{"a/b", {qos::at_least_once, {}, {}, {}}},
                     {"c/d", {qos::exactly_once, {}, {}, {}}}};
  expect_wire(
      s, protocol_version::v3_1_1,
      {0x82, 0x0E, 0x00, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x01, 0x00, 0x03, 'c', '/', 'd', 0x02});
  subscribe s5;
  s5.packet_id = 2;
  s5.subscriptions = {{"x", {qos::exactly_once, true, true, retain_handling::do_not_send}}};
  expect_wire(s5, protocol_version::v5, {0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 'x', 0x2E});
  suback a;
  a.packet_id = 1;
  a.reasons = {reason_code::granted_qos_1, reason_code::unspecified_error};
  expect_wire(a, protocol_version::v3_1_1, {0x90, 0x04, 0x00, 0x01, 0x01, 0x80});
}

TEST(wire_format, unsubscribe_and_unsuback) {
  unsubscribe u;
  u.packet_id = 3;
  u.filters = {"a"};
  expect_wire(u, protocol_version::v3_1_1, {0xA2, 0x05, 0x00, 0x03, 0x00, 0x01, 'a'});
  expect_wire(u, protocol_version::v5, {0xA2, 0x06, 0x00, 0x03, 0x00, 0x00, 0x01, 'a'});
  unsuback a;
  a.packet_id = 3;
  expect_wire(a, protocol_version::v3_1_1, {0xB0, 0x02, 0x00, 0x03});
  a.reasons = {reason_code::no_subscription_existed};
  expect_wire(a, protocol_version::v5, {0xB0, 0x04, 0x00, 0x03, 0x00, 0x11});
}

TEST(wire_format, pings) {
  for (auto v : {protocol_version::v3_1, protocol_version::v3_1_1, protocol_version::v5}) {
    expect_wire(pingreq{}, v, {0xC0, 0x00});
    expect_wire(pingresp{}, v, {0xD0, 0x00});
  }
}

TEST(wire_format, disconnect) {
  expect_wire(disconnect{}, protocol_version::v3_1_1, {0xE0, 0x00});
  // [MQTT-3.14.2.1]: v5 normal disconnection without properties has an empty body.
  expect_wire(disconnect{}, protocol_version::v5, {0xE0, 0x00});
  expect_wire(disconnect{reason_code::server_shutting_down, {}}, protocol_version::v5,
              {0xE0, 0x01, 0x8B});
  disconnect d;
  d.props.session_expiry_interval = 0;
  expect_wire(d, protocol_version::v5, {0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00});
}

TEST(wire_format, auth) {
  expect_wire(auth{}, protocol_version::v5, {0xF0, 0x00});
  auth a{reason_code::continue_authentication, {}};
  a.props.authentication_method = "m";
  expect_wire(a, protocol_version::v5, {0xF0, 0x06, 0x18, 0x04, 0x15, 0x00, 0x01, 'm'});
}

TEST(wire_format, remaining_length_sizes) {
  // The encoder writes the body after a reserved header and slides it down: check every header
  // size, with the body bytes intact.
  for (std::size_t body : {0u, 127u, 128u, 16'383u, 16'384u, 2'097'151u, 2'097'152u}) {
    publish p;
    p.topic = "t";
    p.payload.resize(body < 3 ? 0 : body - 3);
    for (std::size_t i = 0; i < p.payload.size(); ++i) {
      p.payload[i] = static_cast<std::uint8_t>(i % 251);
    }
    if (body < 3) continue;
    bytes out;
    const std::size_t written = encode(p, protocol_version::v3_1_1, out);
    ASSERT_EQ(written, out.size());
    const std::size_t header = 1 + (body < 128 ? 1 : body < 16'384 ? 2 : body < 2'097'152 ? 3 : 4);
    ASSERT_EQ(out.size(), header + body) << body;
    EXPECT_EQ(out[0], 0x30);
    EXPECT_EQ(out[header], 0x00);
    EXPECT_EQ(out[header + 1], 0x01);
    EXPECT_EQ(out[header + 2], 't');
    EXPECT_TRUE(std::equal(p.payload.begin(), p.payload.end(),
                           out.begin() + static_cast<std::ptrdiff_t>(header + 3)));
    packet decoded;
    ASSERT_TRUE(decodes_whole(out, v311(), decoded));
    EXPECT_TRUE(decoded == packet{p});
  }
  publish p;
  p.topic = "t";
  p.payload.resize(124);  // body 127
  EXPECT_EQ(encode_bytes(p, protocol_version::v3_1_1)[1], 0x7F);
  p.payload.resize(125);  // body 128
  const auto wire = encode_bytes(p, protocol_version::v3_1_1);
  EXPECT_EQ(wire[1], 0x80);
  EXPECT_EQ(wire[2], 0x01);
}

TEST(wire_format, encode_appends_to_existing_output) {
  bytes out = {0xAA, 0xBB};
  EXPECT_EQ(encode(pingreq{}, protocol_version::v5, out), 2u);
  EXPECT_EQ(out, (bytes{0xAA, 0xBB, 0xC0, 0x00}));
  publish p;
  p.topic = "t";
  p.payload.resize(200, 0x55);
  const auto alone = encode_bytes(p, protocol_version::v5);
  EXPECT_EQ(encode(p, protocol_version::v5, out), alone.size());
  ASSERT_EQ(out.size(), 4 + alone.size());
  EXPECT_TRUE(std::equal(alone.begin(), alone.end(), out.begin() + 4));
}

}  // namespace
}  // namespace tern::codec
