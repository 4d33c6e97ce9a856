#include "protocol/inflight_window.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tern::protocol {
namespace {

inflight_message with_id(std::uint16_t id, codec::qos level = codec::qos::at_least_once) {
  inflight_message m;
  m.packet_id = id;
  m.out.qos_level = level;
  return m;
}

std::vector<std::uint16_t> ids_of(const inflight_window& w) {
  std::vector<std::uint16_t> ids;
  for (const auto& m : w) ids.push_back(m.packet_id);
  return ids;
}

const auto any = [](const inflight_message&) { return true; };

TEST(inflight_window, identifiers_follow_every_insertion_and_removal) {
  inflight_window w;
  for (const std::uint16_t id : std::vector<std::uint16_t>{7, 3, 9, 4}) w.push_back(with_id(id));
  EXPECT_TRUE(w.contains(9));
  w.erase(w.find(9, any));  // from the middle
  EXPECT_FALSE(w.contains(9));
  EXPECT_TRUE(w.contains(4));
  w.erase(w.begin());  // the oldest
  EXPECT_FALSE(w.contains(7));
  EXPECT_EQ(ids_of(w), (std::vector<std::uint16_t>{3, 4}));
  w.erase_if([](const inflight_message& m) { return m.packet_id == 3; });
  EXPECT_EQ(ids_of(w), (std::vector<std::uint16_t>{4}));
  EXPECT_FALSE(w.contains(3));
  EXPECT_EQ(w.find(3, any), w.end());
  EXPECT_EQ(w.find(4, any), w.begin());
}

TEST(inflight_window, find_skips_entries_the_predicate_refuses) {
  // One identifier twice (a QoS 1 and a QoS 2 message may share one only across a resend, but
  // the search must not stop at the first entry with the number).
  inflight_window w;
  w.push_back(with_id(5, codec::qos::at_least_once));
  w.push_back(with_id(6, codec::qos::exactly_once));
  w.push_back(with_id(5, codec::qos::exactly_once));
  const auto it = w.find(
      5, [](const inflight_message& m) { return m.out.qos_level == codec::qos::exactly_once; });
  ASSERT_NE(it, w.end());
  EXPECT_EQ(it - w.begin(), 2);
  EXPECT_EQ(w.find(6, [](const inflight_message& m) { return m.pubrec_received; }), w.end());
}

TEST(inflight_window, erase_if_keeps_the_send_order_of_the_rest) {
  inflight_window w;
  for (std::uint16_t id = 1; id <= 10; ++id) w.push_back(with_id(id));
  w.erase_if([](const inflight_message& m) { return m.packet_id % 3 == 0; });
  EXPECT_EQ(ids_of(w), (std::vector<std::uint16_t>{1, 2, 4, 5, 7, 8, 10}));
  for (const std::uint16_t id : std::vector<std::uint16_t>{3, 6, 9}) EXPECT_FALSE(w.contains(id));
  for (const std::uint16_t id : std::vector<std::uint16_t>{1, 2, 4, 5, 7, 8, 10})
    EXPECT_TRUE(w.contains(id));
}

TEST(inflight_window, finds_every_identifier_at_every_position_and_size) {
  // Window sizes around the eight-identifier blocks of the search, each identifier at every
  // position: the block that holds it, the blocks before, and the tail after the last block.
  for (std::uint16_t size = 0; size <= 35; ++size) {
    inflight_window w;
    for (std::uint16_t i = 0; i < size; ++i)
      w.push_back(with_id(static_cast<std::uint16_t>(100 + i)));
    for (std::uint16_t i = 0; i < size; ++i) {
      const auto id = static_cast<std::uint16_t>(100 + i);
      EXPECT_TRUE(w.contains(id)) << size << " " << i;
      EXPECT_EQ(w.find(id, any) - w.begin(), i);
    }
    EXPECT_FALSE(w.contains(99));
    EXPECT_FALSE(w.contains(static_cast<std::uint16_t>(100 + size)));
    EXPECT_EQ(w.find(99, any), w.end());
  }
}

}  // namespace
}  // namespace tern::protocol
