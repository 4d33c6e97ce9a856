// Incremental decoding of a byte stream: need_more until a packet is complete, `consumed` exact,
// every packet recovered in order whatever the chunking.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "codec_test_support.hpp"

namespace tern::codec {
namespace {

using namespace test;

struct stream {
  std::vector<packet> packets;
  std::vector<std::size_t> sizes;
  bytes data;
};

stream make_stream(protocol_version v) {
  stream s;
  connect c;
  c.version = v;
  c.client_id = "incremental";
  c.will = will_message{"will/topic", bin("gone"), qos::at_least_once, true, {}};
  c.username = "user";
  c.password = bin("pw");
  if (v == protocol_version::v5) {
    c.props = rich_connect_props();
    c.will->props = rich_will_props();
  }
  s.packets.emplace_back(c);

  publish small;
  small.topic = "a/b";
  small.payload = bin("hello");
  s.packets.emplace_back(small);

  publish medium;
  medium.topic = "a/medium";
  medium.qos_level = qos::at_least_once;
  medium.packet_id = 1;
  medium.payload.assign(300, 0x5A);  // two-byte remaining length
  if (v == protocol_version::v5) medium.props = rich_publish_props();
  s.packets.emplace_back(medium);

  publish large;
  large.topic = "a/large";
  large.qos_level = qos::exactly_once;
  large.packet_id = 2;
  large.payload.resize(20'000);  // three-byte remaining length
  for (std::size_t i = 0; i < large.payload.size(); ++i) {
    large.payload[i] = static_cast<std::uint8_t>(i * 31 + 7);
  }
  s.packets.emplace_back(large);

  s.packets.emplace_back(puback{{1, {}, {}}});
  s.packets.emplace_back(pubrec{{2, {}, {}}});
  s.packets.emplace_back(pubrel{{2, {}, {}}});
  s.packets.emplace_back(pubcomp{{2, {}, {}}});
  s.packets.emplace_back(pingreq{});

  subscribe sub;
  sub.packet_id = 3;
  sub.subscriptions = {{"x/+", {qos::at_least_once, {}, {}, {}}}, {"y/#", {}}};
  s.packets.emplace_back(sub);
  s.packets.emplace_back(suback{3, {reason_code::granted_qos_1, reason_code::success}, {}});
  s.packets.emplace_back(unsubscribe{4, {"x/+"}, {}});
  s.packets.emplace_back(unsuback{4, {}, {}});
  s.packets.emplace_back(pingresp{});
  publish empty;
  empty.topic = "e";
  s.packets.emplace_back(empty);
  if (v == protocol_version::v5) {
    s.packets.emplace_back(auth{reason_code::continue_authentication, rich_auth_props()});
    s.packets.emplace_back(disconnect{reason_code::server_shutting_down, rich_disconnect_props()});
  } else {
    s.packets.emplace_back(disconnect{});
  }

  for (const auto& p : s.packets) {
    const std::size_t n = encode(p, v, s.data);
    EXPECT_GT(n, 0u);
    s.sizes.push_back(n);
  }
  return s;
}

// Feeds `s.data` in chunks of the sizes `next_chunk()` returns and checks every packet.
template <typename NextChunk>
void feed(const stream& s, protocol_version v, NextChunk next_chunk) {
  const decode_options o = opts(v);
  bytes buffer;
  std::size_t fed = 0;
  std::size_t recovered = 0;
  while (fed < s.data.size()) {
    const std::size_t chunk = std::min(next_chunk(), s.data.size() - fed);
    buffer.insert(buffer.end(), s.data.begin() + static_cast<std::ptrdiff_t>(fed),
                  s.data.begin() + static_cast<std::ptrdiff_t>(fed + chunk));
    fed += chunk;
    while (!buffer.empty()) {
      const auto r = decode(std::span<const std::uint8_t>(buffer), o);
      ASSERT_NE(r.status, decode_status::error) << to_string(r.error);
      if (r.status == decode_status::need_more) {
        EXPECT_EQ(r.consumed, 0u);
        EXPECT_EQ(r.error, decode_error::none);
        ASSERT_LT(recovered, s.packets.size()) << "need_more after the last packet";
        // The packet cannot be complete yet.
        ASSERT_LT(buffer.size(), s.sizes[recovered]);
        ASSERT_TRUE(r.type.has_value());
        EXPECT_EQ(*r.type, type_of(s.packets[recovered]));
        break;
      }
      ASSERT_LT(recovered, s.packets.size());
      ASSERT_EQ(r.consumed, s.sizes[recovered]) << "packet " << recovered;
      EXPECT_EQ(r.value, s.packets[recovered]) << "packet " << recovered;
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
      ++recovered;
    }
  }
  EXPECT_EQ(recovered, s.packets.size());
  EXPECT_TRUE(buffer.empty());
}

class incremental : public ::testing::TestWithParam<protocol_version> {};

TEST_P(incremental, byte_by_byte) {
  const auto s = make_stream(GetParam());
  feed(s, GetParam(), [] { return std::size_t{1}; });
}

TEST_P(incremental, random_chunks) {
  const auto s = make_stream(GetParam());
  std::mt19937 rng(20240601u);  // fixed seed: reproducible
  for (std::size_t max_chunk : {2u, 7u, 64u, 1'000u, 30'000u}) {
    SCOPED_TRACE(::testing::Message() << "chunks up to " << max_chunk);
    std::uniform_int_distribution<std::size_t> dist(1, max_chunk);
    feed(s, GetParam(), [&] { return dist(rng); });
  }
}

TEST_P(incremental, whole_stream_at_once) {
  const auto s = make_stream(GetParam());
  feed(s, GetParam(), [&] { return s.data.size(); });
}

TEST_P(incremental, many_packets_in_one_buffer) {
  const auto v = GetParam();
  const auto base = make_stream(v);
  std::vector<packet> expected;
  bytes data;
  for (int round = 0; round < 50; ++round) {
    for (const auto& p : base.packets) {
      if (std::holds_alternative<connect>(p)) continue;
      expected.push_back(p);
      encode(p, v, data);
    }
  }
  std::size_t offset = 0;
  std::size_t index = 0;
  const auto o = opts(v);
  while (offset < data.size()) {
    const auto r = decode(std::span<const std::uint8_t>(data).subspan(offset), o);
    ASSERT_EQ(r.status, decode_status::complete) << "at offset " << offset;
    ASSERT_GT(r.consumed, 0u);
    ASSERT_LT(index, expected.size());
    EXPECT_EQ(r.value, expected[index]);
    offset += r.consumed;
    ++index;
  }
  EXPECT_EQ(offset, data.size());
  EXPECT_EQ(index, expected.size());
}

std::string version_name(const ::testing::TestParamInfo<protocol_version>& param) {
  switch (param.param) {
    case protocol_version::v3_1:
      return "v3_1";
    case protocol_version::v3_1_1:
      return "v3_1_1";
    case protocol_version::v5:
      return "v5";
  }
  return "unknown";
}

INSTANTIATE_TEST_SUITE_P(versions, incremental,
                         ::testing::Values(protocol_version::v3_1, protocol_version::v3_1_1,
                                           protocol_version::v5),
                         version_name);

TEST(incremental_decode, empty_input_needs_more) {
  const auto r = decode(std::span<const std::uint8_t>(), v5());
  EXPECT_EQ(r.status, decode_status::need_more);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_FALSE(r.type.has_value());
}

TEST(incremental_decode, type_is_known_from_the_first_byte) {
  const auto r = decode_bytes({0x82}, v311());
  EXPECT_EQ(r.status, decode_status::need_more);
  ASSERT_TRUE(r.type.has_value());
  EXPECT_EQ(*r.type, packet_type::subscribe);
  const auto r2 = decode_bytes({0x30, 0x80}, v311());  // remaining length unfinished
  EXPECT_EQ(r2.status, decode_status::need_more);
}

TEST(incremental_decode, header_complete_body_missing) {
  // Remaining length 3 but only 2 body bytes: need more, not truncated.
  const auto r = decode_bytes({0x30, 0x03, 0x00, 0x01}, v311());
  EXPECT_EQ(r.status, decode_status::need_more);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(incremental_decode, bytes_after_a_packet_are_left_alone) {
  // A complete PINGREQ followed by the start of something else (even garbage).
  const auto r = decode_bytes({0xC0, 0x00, 0x00, 0xFF}, v311());
  ASSERT_EQ(r.status, decode_status::complete);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_TRUE(std::holds_alternative<pingreq>(r.value));
}

TEST(incremental_decode, error_after_good_packets) {
  bytes data;
  encode(pingreq{}, protocol_version::v3_1_1, data);
  encode(puback{{5, {}, {}}}, protocol_version::v3_1_1, data);
  data.insert(data.end(), {0x36, 0x02, 0x00, 0x00});  // QoS 3 PUBLISH
  std::size_t offset = 0;
  auto r = decode(std::span<const std::uint8_t>(data).subspan(offset), v311());
  ASSERT_EQ(r.status, decode_status::complete);
  offset += r.consumed;
  r = decode(std::span<const std::uint8_t>(data).subspan(offset), v311());
  ASSERT_EQ(r.status, decode_status::complete);
  EXPECT_EQ(r.value, (packet{puback{{5, {}, {}}}}));
  offset += r.consumed;
  r = decode(std::span<const std::uint8_t>(data).subspan(offset), v311());
  EXPECT_EQ(r.status, decode_status::error);
  EXPECT_EQ(r.error, decode_error::invalid_qos);
}

TEST(incremental_decode, connect_then_session_packets_with_the_announced_level) {
  // The caller decodes CONNECT without a level, then uses the one it announced.
  connect c;
  c.client_id = "c";
  publish p;
  p.topic = "t";
  p.props.user_properties = {{"k", "v"}};
  bytes data;
  encode(c, protocol_version::v5, data);
  encode(p, protocol_version::v5, data);
  decode_options o;
  auto r = decode_bytes(data, o);
  ASSERT_EQ(r.status, decode_status::complete);
  ASSERT_TRUE(r.version.has_value());
  o.version = r.version;
  r = decode(std::span<const std::uint8_t>(data).subspan(r.consumed), o);
  ASSERT_EQ(r.status, decode_status::complete);
  EXPECT_EQ(r.value, packet{p});
}

}  // namespace
}  // namespace tern::codec
