// Variable Byte Integer encoding and decoding ([MQTT-1.5.5]).

#include "codec/varint.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tern::codec {
namespace {

using bytes = std::vector<std::uint8_t>;

struct boundary {
  std::uint32_t value;
  bytes wire;
};

// The table of MQTT 5.0 section 1.5.5 (and 3.1.1 section 2.2.3).
const std::vector<boundary> k_boundaries = {
    {0, {0x00}},
    {1, {0x01}},
    {127, {0x7F}},
    {128, {0x80, 0x01}},
    {16'383, {0xFF, 0x7F}},
    {16'384, {0x80, 0x80, 0x01}},
    {2'097'151, {0xFF, 0xFF, 0x7F}},
    {2'097'152, {0x80, 0x80, 0x80, 0x01}},
    {268'435'455, {0xFF, 0xFF, 0xFF, 0x7F}},
    {321, {0xC1, 0x02}},
};

TEST(varint, encodes_boundaries) {
  for (const auto& b : k_boundaries) {
    bytes out;
    encode_varint(b.value, out);
    EXPECT_EQ(out, b.wire) << "value " << b.value;
    EXPECT_EQ(varint_size(b.value), b.wire.size()) << "value " << b.value;
  }
}

TEST(varint, encode_appends) {
  bytes out{0xAA};
  encode_varint(128, out);
  EXPECT_EQ(out, (bytes{0xAA, 0x80, 0x01}));
}

TEST(varint, decodes_boundaries) {
  for (const auto& b : k_boundaries) {
    const auto r = decode_varint(b.wire);
    ASSERT_EQ(r.status, varint_status::ok) << "value " << b.value;
    EXPECT_EQ(r.value, b.value);
    EXPECT_EQ(r.length, b.wire.size());
  }
}

TEST(varint, decode_ignores_bytes_after_the_integer) {
  const bytes in{0x80, 0x01, 0xFF, 0xFF};
  const auto r = decode_varint(in);
  ASSERT_EQ(r.status, varint_status::ok);
  EXPECT_EQ(r.value, 128u);
  EXPECT_EQ(r.length, 2u);
}

TEST(varint, size_boundaries) {
  EXPECT_EQ(varint_size(0), 1u);
  EXPECT_EQ(varint_size(127), 1u);
  EXPECT_EQ(varint_size(128), 2u);
  EXPECT_EQ(varint_size(16'383), 2u);
  EXPECT_EQ(varint_size(16'384), 3u);
  EXPECT_EQ(varint_size(2'097'151), 3u);
  EXPECT_EQ(varint_size(2'097'152), 4u);
  EXPECT_EQ(varint_size(k_max_varint), 4u);
  static_assert(varint_size(128) == 2);
}

TEST(varint, empty_and_unfinished_input_needs_more) {
  EXPECT_EQ(decode_varint(bytes{}).status, varint_status::need_more);
  EXPECT_EQ(decode_varint(bytes{0x80}).status, varint_status::need_more);
  EXPECT_EQ(decode_varint(bytes{0xFF, 0xFF}).status, varint_status::need_more);
  EXPECT_EQ(decode_varint(bytes{0xFF, 0xFF, 0xFF}).status, varint_status::need_more);
}

TEST(varint, five_bytes_are_malformed) {
  // The fourth byte still has its continuation bit: a fifth byte would be needed.
  EXPECT_EQ(decode_varint(bytes{0xFF, 0xFF, 0xFF, 0xFF}).status, varint_status::malformed);
  EXPECT_EQ(decode_varint(bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}).status, varint_status::malformed);
  EXPECT_EQ(decode_varint(bytes{0x80, 0x80, 0x80, 0x80, 0x01}).status, varint_status::malformed);
}

TEST(varint, non_minimal_encodings_are_malformed) {
  // [MQTT-1.5.5-1]: the minimum number of bytes must be used.
  EXPECT_EQ(decode_varint(bytes{0x80, 0x00}).status, varint_status::malformed);
  EXPECT_EQ(decode_varint(bytes{0xFF, 0x00}).status, varint_status::malformed);
  EXPECT_EQ(decode_varint(bytes{0x80, 0x80, 0x00}).status, varint_status::malformed);
  EXPECT_EQ(decode_varint(bytes{0xFF, 0xFF, 0x80, 0x00}).status, varint_status::malformed);
  EXPECT_EQ(decode_varint(bytes{0x80, 0x80, 0x80, 0x00}).status, varint_status::malformed);
  // A zero in a middle byte is fine: 0x80 0x80 0x01 is 16384 in its shortest form.
  EXPECT_EQ(decode_varint(bytes{0x80, 0x80, 0x01}).status, varint_status::ok);
}

TEST(varint, round_trips_a_sweep) {
  std::vector<std::uint32_t> values;
  for (std::uint32_t v = 0; v < 20'000; ++v) values.push_back(v);
  for (std::uint32_t v = 2'097'000; v < 2'097'300; ++v) values.push_back(v);
  for (std::uint32_t v = k_max_varint - 300; v <= k_max_varint; ++v) values.push_back(v);
  for (auto v : values) {
    bytes out;
    encode_varint(v, out);
    ASSERT_EQ(out.size(), varint_size(v)) << v;
    const auto r = decode_varint(out);
    ASSERT_EQ(r.status, varint_status::ok) << v;
    ASSERT_EQ(r.value, v);
    ASSERT_EQ(r.length, out.size());
  }
}

}  // namespace
}  // namespace tern::codec
