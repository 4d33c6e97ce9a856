// Key layout: ids are big-endian so byte order is id order, and a session's keys of one kind form
// one contiguous range.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "storage/records.hpp"

namespace tern::storage::test {
namespace {

constexpr auto k_max_id = std::numeric_limits<std::uint64_t>::max();

// Ids that cross every byte boundary, so little-endian or signed-byte ordering would show.
const std::vector<std::uint64_t> k_ids = {0,
                                          1,
                                          0x7F,
                                          0x80,
                                          0xFF,
                                          0x100,
                                          0xFFFF,
                                          0x1'0000,
                                          0xFFFF'FFFF,
                                          0x1'0000'0000,
                                          0x7FFF'FFFF'FFFF'FFFF,
                                          0x8000'0000'0000'0000,
                                          k_max_id - 1,
                                          k_max_id};

const std::vector<std::uint16_t> k_packet_ids = {0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x8000, 0xFFFF};

// Sorts `keys` as bytes (the order RocksDB and std::map use) after a shuffle.
std::vector<bytes> byte_sorted(std::vector<bytes> keys) {
  std::shuffle(keys.begin(), keys.end(), std::mt19937(7));
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool in_range(const bytes& key, const std::pair<bytes, bytes>& range) {
  return key >= range.first && key < range.second;
}

TEST(storage_records_keys, layout_is_kind_then_big_endian_ids) {
  EXPECT_EQ(keys::of_message(0x0102'0304'0506'0708), bytes("m\x01\x02\x03\x04\x05\x06\x07\x08", 9));
  EXPECT_EQ(keys::of_session(0x0A), bytes("s\0\0\0\0\0\0\0\x0A", 9));
  EXPECT_EQ(keys::of_entry(1, 2), bytes("q\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x02", 17));
  EXPECT_EQ(keys::of_inbound(1, 0x0203), bytes("i\0\0\0\0\0\0\0\x01\x02\x03", 11));
  EXPECT_EQ(keys::of_subscription(1, "a/#"), bytes("u\0\0\0\0\0\0\0\x01"
                                                   "a/#",
                                                   12));
  EXPECT_EQ(keys::of_retained("a/b"), "ra/b");
}

TEST(storage_records_keys, message_and_session_keys_sort_by_id) {
  std::vector<bytes> messages, sessions, expected_messages, expected_sessions;
  for (const auto id : k_ids) {
    expected_messages.push_back(keys::of_message(id));
    expected_sessions.push_back(keys::of_session(id));
  }
  EXPECT_EQ(byte_sorted(expected_messages), expected_messages);  // k_ids is ascending
  EXPECT_EQ(byte_sorted(expected_sessions), expected_sessions);
}

TEST(storage_records_keys, entry_keys_sort_by_session_then_message) {
  std::vector<bytes> expected;
  for (const auto session : k_ids) {
    for (const auto message : k_ids) expected.push_back(keys::of_entry(session, message));
  }
  EXPECT_EQ(byte_sorted(expected), expected);
}

TEST(storage_records_keys, inbound_keys_sort_by_session_then_packet_id) {
  std::vector<bytes> expected;
  for (const auto session : k_ids) {
    for (const std::uint16_t packet : k_packet_ids) {
      expected.push_back(keys::of_inbound(session, packet));
    }
  }
  EXPECT_EQ(byte_sorted(expected), expected);
}

TEST(storage_records_keys, subscription_keys_group_by_session_whatever_the_filter) {
  std::vector<bytes> expected;
  for (const auto session : k_ids) {
    // Within a session filters sort as bytes; "\xFF" must not spill into the next session.
    for (const char* filter : {"", "#", "+/x", "a", "a/b", "\x7F", "\xC3\xA9", "\xFF\xFF"}) {
      expected.push_back(keys::of_subscription(session, filter));
    }
  }
  EXPECT_EQ(byte_sorted(expected), expected);
}

TEST(storage_records_keys, session_range_covers_exactly_one_session) {
  for (const auto session : {std::uint64_t{1}, std::uint64_t{0xFF}, std::uint64_t{0x100},
                             std::uint64_t{0xFFFF'FFFF}, k_max_id - 1}) {
    const auto entries = keys::session_range(keys::entry, session);
    const auto subscriptions = keys::session_range(keys::subscription, session);
    const auto inbound = keys::session_range(keys::inbound, session);
    for (const auto message : {std::uint64_t{0}, std::uint64_t{1}, k_max_id}) {
      EXPECT_TRUE(in_range(keys::of_entry(session, message), entries));
      EXPECT_FALSE(in_range(keys::of_entry(session - 1, message), entries));
      EXPECT_FALSE(in_range(keys::of_entry(session + 1, message), entries));
      EXPECT_FALSE(in_range(keys::of_entry(session, message), subscriptions));
    }
    for (const char* filter : {"", "#", "a/b", "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF"}) {
      EXPECT_TRUE(in_range(keys::of_subscription(session, filter), subscriptions));
      EXPECT_FALSE(in_range(keys::of_subscription(session - 1, filter), subscriptions));
      EXPECT_FALSE(in_range(keys::of_subscription(session + 1, filter), subscriptions));
    }
    for (const std::uint16_t packet : k_packet_ids) {
      EXPECT_TRUE(in_range(keys::of_inbound(session, packet), inbound));
      EXPECT_FALSE(in_range(keys::of_inbound(session - 1, packet), inbound));
      EXPECT_FALSE(in_range(keys::of_inbound(session + 1, packet), inbound));
    }
    // Other kinds that share the id are never in it.
    for (const auto& range : {entries, subscriptions, inbound}) {
      EXPECT_FALSE(in_range(keys::of_session(session), range));
      EXPECT_FALSE(in_range(keys::of_message(session), range));
    }
  }
}

TEST(storage_records_keys, kinds_do_not_share_prefixes) {
  const std::vector<bytes> one_of_each = {keys::of_message(1),           keys::of_entry(1, 1),
                                          keys::of_subscription(1, "a"), keys::of_inbound(1, 1),
                                          keys::of_retained("a"),        keys::of_session(1)};
  const std::string kinds = {keys::message, keys::entry,    keys::subscription,
                             keys::inbound, keys::retained, keys::session};
  std::string seen;
  for (std::size_t i = 0; i < one_of_each.size(); ++i) {
    EXPECT_EQ(one_of_each[i].front(), kinds[i]);
    seen.push_back(one_of_each[i].front());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(kinds.find(keys::meta), std::string::npos);
}

}  // namespace
}  // namespace tern::storage::test
