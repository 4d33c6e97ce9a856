#include "protocol/publish_heads.hpp"

#include <gtest/gtest.h>

#include "codec/encoder.hpp"

namespace tern::protocol {
namespace {

using namespace codec;

// The cached head with its packet id and DUP patched must equal a fresh encoding, for every
// layout and for payloads around the Remaining Length size boundaries.
TEST(publish_heads, patched_head_equals_a_fresh_encoding) {
  for (std::size_t payload_size : {0u, 100u, 127u, 16'000u, 2'100'000u}) {
    auto msg = std::make_shared<message>();
    msg->topic = "sensor/1/temperature";
    msg->payload.assign(payload_size, 0x42);
    codec::properties props;
    props.user_properties.emplace_back("unit", "C");
    msg->set_properties(std::move(props));
    for (auto version : {protocol_version::v3_1_1, protocol_version::v5}) {
      for (auto q : {qos::at_most_once, qos::at_least_once, qos::exactly_once}) {
        for (bool retain : {false, true}) {
          for (std::uint16_t id : {std::uint16_t{1}, std::uint16_t{0x1234}}) {
            const bool dup = q != qos::at_most_once && id == 0x1234;
            publish p;
            p.topic = msg->topic;
            p.payload = msg->payload;
            p.qos_level = q;
            p.retain = retain;
            p.dup = dup;
            p.packet_id = q == qos::at_most_once ? 0 : id;
            if (version == protocol_version::v5) p.props = msg->properties();
            std::vector<std::uint8_t> expected;
            ASSERT_GT(encode(p, version, expected), 0u);

            std::vector<std::uint8_t> actual;
            const auto total = append_publish_head(msg, version, q, retain, dup, id, actual);
            EXPECT_EQ(total, expected.size());
            actual.insert(actual.end(), msg->payload.begin(), msg->payload.end());
            EXPECT_EQ(actual, expected) << "payload " << payload_size << " qos "
                                        << static_cast<int>(q) << " retain " << retain;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace tern::protocol
