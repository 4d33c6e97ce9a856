// load_snapshot: everything readable and owned comes back; leftovers and damage are dropped,
// counted and handed back for deletion.

#include "storage/snapshot.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "record_samples.hpp"
#include "storage/memory_backend.hpp"

namespace tern::storage::test {
namespace {

// Writes records straight into a memory_backend, as an earlier run would have left them.
class store_builder {
 public:
  explicit store_builder(memory_backend& m) : m_(m) {}
  store_builder& session(const session_record& r) {
    return put(keys::of_session(r.session_id), encode(r));
  }
  store_builder& message(const message_record& r) { return put(keys::of_message(r.id), encode(r)); }
  store_builder& entry(const entry_record& r) {
    return put(keys::of_entry(r.session_id, r.message_id), encode(r));
  }
  store_builder& subscription(const subscription_record& r) {
    return put(keys::of_subscription(r.session_id, r.filter), encode(r));
  }
  store_builder& inbound(std::uint64_t session, std::uint16_t packet) {
    return put(keys::of_inbound(session, packet), "");
  }
  store_builder& retained(const std::string& topic, std::uint64_t message) {
    return put(keys::of_retained(topic), encode_retained(message, /*seq=*/0));
  }
  store_builder& put(bytes key, bytes value) {
    write_batch b;
    b.put(std::move(key), std::move(value));
    EXPECT_TRUE(m_.write(b, durability::fsync).ok);
    return *this;
  }

 private:
  memory_backend& m_;
};

entry_record entry_of(std::uint64_t session, std::uint64_t message) {
  entry_record e;
  e.session_id = session;
  e.message_id = message;
  return e;
}

subscription_record subscription_of(std::uint64_t session, std::string filter) {
  return subscription_record{session, std::move(filter), {codec::qos::at_least_once}, {}};
}

// The keys `cleanup` deletes; every change in it must be a plain erase.
std::set<bytes> erased(const write_batch& cleanup) {
  std::set<bytes> out;
  for (const auto& op : cleanup.ops()) {
    EXPECT_EQ(op.kind, write_batch::op_kind::erase);
    out.insert(std::string(op.key));
  }
  EXPECT_EQ(out.size(), cleanup.size()) << "a key is erased twice";
  return out;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> entry_ids(const snapshot& s) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const auto& e : s.entries) out.emplace_back(e.session_id, e.message_id);
  return out;
}

std::set<std::uint64_t> message_ids(const snapshot& s) {
  std::set<std::uint64_t> out;
  for (const auto& [id, m] : s.messages) {
    EXPECT_EQ(m.id, id);
    out.insert(id);
  }
  return out;
}

TEST(storage_load_snapshot, an_empty_store_loads_empty) {
  memory_backend m;
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_TRUE(s.sessions.empty());
  EXPECT_TRUE(s.messages.empty());
  EXPECT_EQ(s.highest_id, 0u);
  EXPECT_EQ(s.damaged, 0u);
  EXPECT_EQ(s.orphans, 0u);
  EXPECT_TRUE(cleanup.empty());
}

TEST(storage_load_snapshot, a_consistent_store_comes_back_whole) {
  memory_backend m;
  const auto s1 = full_session(1);
  const auto s2 = plain_session(2);
  const auto m10 = full_message(10);
  const auto m11 = plain_message(11);
  const auto e1 = full_entry(1, 10);
  const auto e2 = entry_of(2, 10);  // two sessions share message 10
  const auto sub = subscription_of(1, "a/#");
  store_builder(m)
      .session(s1)
      .session(s2)
      .message(m10)
      .message(m11)
      .entry(e1)
      .entry(e2)
      .subscription(sub)
      .inbound(2, 7)
      .retained("r/t", 11);  // message 11 lives only as a retained message
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(s.sessions, (std::vector<session_record>{s1, s2}));
  EXPECT_EQ(s.entries, (std::vector<entry_record>{e1, e2}));
  EXPECT_EQ(s.subscriptions, (std::vector<subscription_record>{sub}));
  EXPECT_EQ(s.inbound, (std::vector<inbound_record>{{2, 7}}));
  EXPECT_EQ(s.retained, (std::vector<retained_record>{{"r/t", 11}}));
  ASSERT_EQ(s.messages.size(), 2u);
  EXPECT_EQ(s.messages.at(10), m10);
  EXPECT_EQ(s.messages.at(11), m11);
  EXPECT_EQ(s.highest_id, 11u);
  EXPECT_EQ(s.damaged, 0u);
  EXPECT_EQ(s.orphans, 0u);
  EXPECT_TRUE(cleanup.empty());
}

TEST(storage_load_snapshot, what_a_missing_session_owned_is_dropped) {
  memory_backend m;
  store_builder(m)
      .session(plain_session(1))
      .message(plain_message(10))
      .message(plain_message(11))
      .entry(entry_of(1, 10))
      .entry(entry_of(3, 10))  // session 3 is gone
      .entry(entry_of(3, 11))  // and message 11 was only its
      .subscription(subscription_of(1, "keep"))
      .subscription(subscription_of(3, "a"))
      .subscription(subscription_of(3, "b"))
      .inbound(1, 5)
      .inbound(3, 6);
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(entry_ids(s), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 10}}));
  EXPECT_EQ(s.subscriptions, (std::vector<subscription_record>{subscription_of(1, "keep")}));
  EXPECT_EQ(s.inbound, (std::vector<inbound_record>{{1, 5}}));
  EXPECT_EQ(message_ids(s), (std::set<std::uint64_t>{10}));
  EXPECT_EQ(s.orphans, 6u);
  EXPECT_EQ(s.damaged, 0u);
  EXPECT_EQ(erased(cleanup),
            (std::set<bytes>{keys::of_entry(3, 10), keys::of_entry(3, 11),
                             keys::of_subscription(3, "a"), keys::of_subscription(3, "b"),
                             keys::of_inbound(3, 6), keys::of_message(11)}));
}

TEST(storage_load_snapshot, an_entry_whose_message_is_missing_is_dropped) {
  memory_backend m;
  store_builder(m)
      .session(plain_session(1))
      .message(plain_message(10))
      .entry(entry_of(1, 10))
      .entry(entry_of(1, 12));  // message 12 is gone
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(entry_ids(s), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 10}}));
  EXPECT_EQ(s.orphans, 1u);
  EXPECT_EQ(erased(cleanup), (std::set<bytes>{keys::of_entry(1, 12)}));
}

TEST(storage_load_snapshot, a_message_nobody_refers_to_is_dropped) {
  memory_backend m;
  store_builder(m)
      .session(plain_session(1))
      .message(plain_message(10))
      .message(plain_message(11))
      .entry(entry_of(1, 10));
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(message_ids(s), (std::set<std::uint64_t>{10}));
  EXPECT_EQ(s.orphans, 1u);
  EXPECT_EQ(erased(cleanup), (std::set<bytes>{keys::of_message(11)}));
}

TEST(storage_load_snapshot, a_retained_topic_whose_message_is_missing_is_dropped) {
  memory_backend m;
  store_builder(m).message(plain_message(10)).retained("kept", 10).retained("gone", 99);
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(s.retained, (std::vector<retained_record>{{"kept", 10}}));
  EXPECT_EQ(message_ids(s), (std::set<std::uint64_t>{10}));
  EXPECT_EQ(s.orphans, 1u);
  EXPECT_EQ(erased(cleanup), (std::set<bytes>{keys::of_retained("gone")}));
}

TEST(storage_load_snapshot, damaged_records_are_dropped_counted_and_cleaned_up) {
  memory_backend m;
  store_builder(m)
      .session(plain_session(1))
      .put(keys::of_session(2), "garbage")
      .put(keys::of_session(1) + 'x', encode(plain_session(1)))  // wrong key size
      .message(plain_message(10))
      .put(keys::of_message(11), "garbage")
      .entry(entry_of(1, 10))
      .put(keys::of_entry(1, 12), bytes(8, '\0'))  // QoS 0 entry: impossible
      .entry(entry_of(1, 11))                      // its message is damaged: orphan
      .subscription(subscription_of(1, "ok"))
      .put(keys::of_subscription(1, "bad"), "\xFF")
      .subscription(subscription_of(2, "whose session is damaged"))  // orphan
      .inbound(1, 1)
      .put(bytes("i\0\0\0", 4), "")  // inbound key too short
      .retained("ok", 10)
      .put(keys::of_retained("bad"), "short");
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(s.sessions, (std::vector<session_record>{plain_session(1)}));
  EXPECT_EQ(message_ids(s), (std::set<std::uint64_t>{10}));
  EXPECT_EQ(entry_ids(s), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 10}}));
  EXPECT_EQ(s.subscriptions, (std::vector<subscription_record>{subscription_of(1, "ok")}));
  EXPECT_EQ(s.inbound, (std::vector<inbound_record>{{1, 1}}));
  EXPECT_EQ(s.retained, (std::vector<retained_record>{{"ok", 10}}));
  EXPECT_EQ(s.damaged, 7u);
  EXPECT_EQ(s.orphans, 2u);
  EXPECT_EQ(erased(cleanup),
            (std::set<bytes>{keys::of_session(2), keys::of_session(1) + 'x', keys::of_message(11),
                             keys::of_entry(1, 12), keys::of_entry(1, 11),
                             keys::of_subscription(1, "bad"),
                             keys::of_subscription(2, "whose session is damaged"),
                             bytes("i\0\0\0", 4), keys::of_retained("bad")}));
}

TEST(storage_load_snapshot, highest_id_is_the_largest_session_or_message_id) {
  {
    memory_backend m;
    store_builder(m)
        .session(plain_session(0x1'0000))
        .message(plain_message(0xFF))
        .entry(entry_of(0x1'0000, 0xFF));
    write_batch cleanup;
    EXPECT_EQ(load_snapshot(m, cleanup).highest_id, 0x1'0000u);  // a session
  }
  {
    memory_backend m;
    store_builder(m)
        .session(plain_session(7))
        .message(plain_message(0x100))
        .entry(entry_of(7, 0x100))
        .retained("t", 0x100);
    write_batch cleanup;
    EXPECT_EQ(load_snapshot(m, cleanup).highest_id, 0x100u);  // a message
  }
  {
    // A message dropped as unreferenced still counts: its id is not handed out again.
    memory_backend m;
    store_builder(m).session(plain_session(7)).message(plain_message(500));
    write_batch cleanup;
    const auto s = load_snapshot(m, cleanup);
    EXPECT_TRUE(s.messages.empty());
    EXPECT_EQ(s.highest_id, 500u);
  }
  {
    // Ids only named by records that are dropped (a damaged session, an entry of a missing
    // message) do not count.
    memory_backend m;
    store_builder(m)
        .session(plain_session(7))
        .put(keys::of_session(900), "garbage")
        .entry(entry_of(7, 800));
    write_batch cleanup;
    EXPECT_EQ(load_snapshot(m, cleanup).highest_id, 7u);
  }
}

TEST(storage_load_snapshot, entries_come_back_by_session_then_message_id) {
  memory_backend m;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> expected;
  store_builder b(m);
  for (const std::uint64_t session : {2ull, 0x100ull, 0x1'0000ull}) {
    b.session(plain_session(session));
    for (const std::uint64_t message : {1ull, 0xFFull, 0x100ull, 0x1'0000'0000ull}) {
      expected.emplace_back(session, message);
    }
  }
  auto shuffled = expected;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  for (const auto& [session, message] : shuffled) {
    b.message(plain_message(message));
    b.entry(entry_of(session, message));
  }
  write_batch cleanup;
  const auto s = load_snapshot(m, cleanup);
  EXPECT_EQ(entry_ids(s), expected);
  EXPECT_EQ(s.highest_id, 0x1'0000'0000u);
  EXPECT_TRUE(cleanup.empty());
}

TEST(storage_load_snapshot, applying_the_cleanup_leaves_a_clean_store) {
  memory_backend m;
  store_builder(m)
      .session(plain_session(1))
      .message(plain_message(10))
      .message(plain_message(11))
      .entry(entry_of(1, 10))
      .entry(entry_of(4, 11))
      .subscription(subscription_of(4, "x"))
      .put(keys::of_session(2), "garbage")
      .retained("gone", 12);
  write_batch cleanup;
  const auto first = load_snapshot(m, cleanup);
  EXPECT_GT(first.damaged + first.orphans, 0u);
  ASSERT_TRUE(m.write(cleanup, durability::fsync).ok);

  write_batch again;
  const auto second = load_snapshot(m, again);
  EXPECT_EQ(second.damaged, 0u);
  EXPECT_EQ(second.orphans, 0u);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(second.sessions, first.sessions);
  EXPECT_EQ(second.entries, first.entries);
  EXPECT_EQ(message_ids(second), message_ids(first));
  EXPECT_EQ(m.key_count(), 3u);  // session 1, message 10, its entry
}

}  // namespace
}  // namespace tern::storage::test
