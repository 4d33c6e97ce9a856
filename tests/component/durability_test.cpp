// What survives a crash, through the store: packet identifiers of QoS 1 messages in flight. The
// harness commits the journal to an in-memory backend before a
// client reads anything and restart() rebuilds the broker from it, as a start after kill -9 does.

#include <map>

#include "broker_harness.hpp"
#include "storage/records.hpp"

namespace tern::component {
namespace {

class durability_test : public broker_version_test {
 protected:
  durability_test() { enable_store(); }

  codec::properties persistent_props() const {
    codec::properties p;
    if (is_v5()) p.session_expiry_interval = 3600;
    return p;
  }
  test_client& persistent(std::string id) {
    return connected(version(), std::move(id), false, persistent_props());
  }
  codec::connack resume(test_client& c) {
    return c.connect(version(), c.client_id(), false, persistent_props());
  }

  // Store id of every queued or in-flight message in the store, by payload (the messages of
  // these tests travel inside their only entry).
  std::map<std::string, std::uint64_t> stored_ids() {
    settle();
    std::map<std::string, std::uint64_t> ids;
    for (const auto& [key, value] : backend().contents()) {
      if (key.front() != storage::keys::entry) continue;
      const auto entry = storage::decode_entry(key, value);
      if (!entry || !entry->message) throw harness_error("unexpected entry record");
      ids[text_of(entry->message->payload)] = entry->message_id;
    }
    return ids;
  }
};
TERN_BOTH_VERSIONS(durability_test);

struct sent {
  std::uint16_t packet_id;
  qos level;
  bool dup;
  bool operator==(const sent&) const = default;
};

std::map<std::string, sent> by_payload(const std::vector<codec::publish>& got) {
  std::map<std::string, sent> out;
  for (const auto& p : got) out[text_of(p.payload)] = sent{p.packet_id, p.qos_level, p.dup};
  return out;
}

TEST_P(durability_test, a_stored_qos1_message_takes_the_identifier_of_its_store_id) {
  auto& sub = persistent("sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  for (const auto* payload : {"a", "b", "c"}) pub.publish("t", payload, qos::at_least_once);
  const auto got = sub.publishes();
  ASSERT_EQ(got.size(), 3u);
  const auto ids = stored_ids();
  for (const auto& p : got) {
    EXPECT_EQ(p.packet_id, protocol::stored_packet_id(ids.at(text_of(p.payload))));
    EXPECT_FALSE(p.dup);
  }
}

TEST_P(durability_test, unacknowledged_messages_go_again_after_a_crash_with_their_identifiers) {
  auto& sub = persistent("sub");
  sub.subscribe("t", qos::exactly_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "acked", qos::at_least_once);
  sub.ack(sub.one_publish());
  pub.publish("t", "one", qos::at_least_once);
  pub.publish("t", "two", qos::exactly_once);
  pub.publish("t", "three", qos::at_least_once);
  auto before = by_payload(sub.publishes());
  ASSERT_EQ(before.size(), 3u);

  restart();
  EXPECT_TRUE(resume(sub).session_present);
  const auto again = sub.publishes();
  for (auto& [payload, s] : before) s.dup = true;  // [MQTT-3.3.1-1]
  EXPECT_EQ(by_payload(again), before) << describe(sub.received());
  for (const auto& p : again) sub.ack(p);
  sub.expect_nothing();

  // Acknowledged ones are gone from the store: nothing comes after another crash.
  restart();
  EXPECT_TRUE(resume(sub).session_present);
  sub.expect_nothing();
}

TEST_P(durability_test, an_identifier_in_use_is_replaced_and_written_to_the_entry) {
  auto& sub = persistent("sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "first", qos::at_least_once);
  const auto first = sub.one_publish();
  // The next message gets a store id that gives the identifier "first" still holds.
  auto& next_id = shared().next_id;
  const auto next = next_id.load();
  next_id.store(next + (first.packet_id - 1 + 65'535 - next % 65'535) % 65'535);
  pub.publish("t", "second", qos::at_least_once);
  const auto second = sub.one_publish();
  EXPECT_EQ(protocol::stored_packet_id(stored_ids().at("second")), first.packet_id);
  EXPECT_NE(second.packet_id, first.packet_id);
  for (const auto& [key, value] : backend().contents()) {
    if (key.front() != storage::keys::entry) continue;
    const auto entry = storage::decode_entry(key, value);
    ASSERT_TRUE(entry && entry->message);
    if (text_of(entry->message->payload) == "second") {
      EXPECT_EQ(entry->packet_id, second.packet_id) << "the entry names the identifier used";
    }
  }

  restart();
  resume(sub);
  const auto again = by_payload(sub.publishes());
  EXPECT_EQ(again.at("first"), (sent{first.packet_id, qos::at_least_once, true}));
  EXPECT_EQ(again.at("second"), (sent{second.packet_id, qos::at_least_once, true}));
}

TEST_P(durability_test, restored_messages_paged_again_keep_their_identifiers) {
  settings.max_inflight = 2;
  settings.max_queued_in_memory = 1;
  auto& sub = persistent("sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  const std::vector<std::string> payloads{"m1", "m2", "m3", "m4", "m5"};
  for (const auto& p : payloads) pub.publish("t", p, qos::at_least_once);
  const auto window = sub.publishes();  // two in flight, three queued for the attached client
  ASSERT_EQ(window.size(), 2u);
  const auto ids = stored_ids();

  restart();  // five entries: one stays in memory, four are paged out again
  resume(sub);
  const auto again = sub.drain_acking();
  ASSERT_EQ(again.size(), payloads.size()) << describe(sub.received());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(text_of(again[i].payload), payloads[i]);
    EXPECT_EQ(again[i].packet_id, protocol::stored_packet_id(ids.at(payloads[i])));
    EXPECT_TRUE(again[i].dup) << "perhaps sent before the crash";
  }
  EXPECT_EQ(window[0].packet_id, again[0].packet_id);
  EXPECT_EQ(window[1].packet_id, again[1].packet_id);
}

}  // namespace
}  // namespace tern::component
