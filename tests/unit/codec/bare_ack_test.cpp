#include "codec/bare_ack.hpp"

#include <gtest/gtest.h>

#include "codec/decoder.hpp"
#include "codec/encoder.hpp"

namespace tern::codec {
namespace {

template <typename Ack>
packet ack_packet(std::uint16_t id) {
  Ack a;
  a.packet_id = id;
  return a;
}

packet full_ack(packet_type type, std::uint16_t id) {
  switch (type) {
    case packet_type::puback:
      return ack_packet<puback>(id);
    case packet_type::pubrec:
      return ack_packet<pubrec>(id);
    case packet_type::pubrel:
      return ack_packet<pubrel>(id);
    default:
      return ack_packet<pubcomp>(id);
  }
}

constexpr packet_type k_types[] = {packet_type::puback, packet_type::pubrec, packet_type::pubrel,
                                   packet_type::pubcomp};
constexpr protocol_version k_versions[] = {protocol_version::v3_1, protocol_version::v3_1_1,
                                           protocol_version::v5};

TEST(bare_ack, writes_what_the_encoder_writes_at_every_level) {
  for (const auto type : k_types) {
    for (const auto version : k_versions) {
      for (const std::uint16_t id :
           {std::uint16_t{1}, std::uint16_t{0x1234}, std::uint16_t{65'535}}) {
        std::vector<std::uint8_t> encoded;
        ASSERT_EQ(encode(full_ack(type, id), version, encoded), 4u);
        std::vector<std::uint8_t> bare;
        write_bare_ack({type, id}, bare);
        EXPECT_EQ(bare, encoded) << to_string(type) << " " << to_string(version);
      }
    }
  }
}

TEST(bare_ack, reads_what_the_decoder_reads) {
  for (const auto type : k_types) {
    for (const auto version : k_versions) {
      std::vector<std::uint8_t> bytes;
      ASSERT_EQ(encode(full_ack(type, 0xBEEF), version, bytes), 4u);
      bytes.push_back(0xC0);  // the next packet's first byte: not part of this one
      const auto ack = read_bare_ack(bytes);
      ASSERT_TRUE(ack) << to_string(type);
      EXPECT_EQ(ack->type, type);
      EXPECT_EQ(ack->packet_id, 0xBEEF);
      decode_options options;
      options.version = version;
      const auto decoded = decode(bytes, options);
      ASSERT_EQ(decoded.status, decode_status::complete);
      EXPECT_EQ(decoded.consumed, 4u);
      EXPECT_EQ(type_of(decoded.value), type);
    }
  }
}

TEST(bare_ack, leaves_everything_else_to_the_decoder) {
  using bytes = std::vector<std::uint8_t>;
  for (const auto& b : {
           bytes{0x40, 0x02, 0x00},              // incomplete
           bytes{0x40, 0x02, 0x00, 0x00},        // packet identifier 0
           bytes{0x41, 0x02, 0x00, 0x01},        // PUBACK with flags
           bytes{0x60, 0x02, 0x00, 0x01},        // PUBREL without its required flags
           bytes{0x72, 0x02, 0x00, 0x01},        // PUBCOMP with PUBREL's flags
           bytes{0x40, 0x03, 0x00, 0x01, 0x10},  // MQTT 5 reason code
           bytes{0x32, 0x02, 0x00, 0x01},        // PUBLISH
           bytes{0x82, 0x02, 0x00, 0x01},        // SUBSCRIBE
           bytes{0xC0, 0x00, 0xC0, 0x00},        // PINGREQ
       }) {
    EXPECT_FALSE(read_bare_ack(b)) << static_cast<int>(b[0]);
  }
}

}  // namespace
}  // namespace tern::codec
