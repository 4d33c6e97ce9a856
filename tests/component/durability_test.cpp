// What survives a crash, through the store: packet identifiers of QoS 1 messages in flight, and
// the wills of clean sessions. The harness commits the journal to an in-memory backend before a
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
  std::size_t session_records() {
    settle();
    std::size_t count = 0;
    for (const auto& [key, value] : backend().contents()) {
      if (key.front() == storage::keys::session) ++count;
    }
    return count;
  }
  std::optional<storage::session_record> session_record_of(std::string_view client_id) {
    settle();
    for (const auto& [key, value] : backend().contents()) {
      if (key.front() != storage::keys::session) continue;
      auto r = storage::decode_session(key, value);
      if (r && r->client_id == client_id) return r;
    }
    return std::nullopt;
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
  const std::uint64_t wanted = first.packet_id - 1u;  // store ids map to 1 + id % 65,535
  next_id.store(next + (wanted + 65'535 - next % 65'535) % 65'535);
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

TEST_P(durability_test, a_clean_session_without_a_will_writes_nothing) {
  auto& c = connected(version(), "c");
  EXPECT_EQ(c.session().hold_ticket(), 0u) << "CONNACK waits for nothing";
  c.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "m", qos::at_least_once);
  c.ack(c.one_publish());
  c.disconnect();
  pub.disconnect();
  settle();
  EXPECT_EQ(backend().writes(), 0u);
}

codec::connect clean_with_will(protocol_version version, std::string id, std::string payload,
                               std::uint32_t will_delay = 0) {
  auto c = make_connect(version, std::move(id), true);
  codec::properties props;
  if (version == v5 && will_delay != 0) props.will_delay_interval = will_delay;
  c.will = make_will("will/" + c.client_id, payload, qos::at_least_once, false, props);
  return c;
}

TEST_P(durability_test, a_clean_session_stores_its_will_until_a_normal_disconnect) {
  auto& c = client();
  c.connect(clean_with_will(version(), "c", "bye"));
  const auto record = session_record_of("c");
  ASSERT_TRUE(record) << "stored before CONNACK";
  EXPECT_EQ(record->expiry_interval, 0u);
  ASSERT_TRUE(record->will);
  EXPECT_EQ(text_of(record->will->payload), "bye");
  EXPECT_NE(c.session().hold_ticket(), 0u) << "CONNACK waits for the record";
  c.disconnect();
  EXPECT_EQ(session_records(), 0u);

  restart();
  advance(1s);
  EXPECT_EQ(core().session_count(), 0u);
}

TEST_P(durability_test, a_published_will_leaves_no_record) {
  auto& watcher = persistent("watcher");
  watcher.subscribe("will/#", qos::at_least_once);
  auto& c = client();
  c.connect(clean_with_will(version(), "c", "dropped"));
  c.close_abruptly();
  EXPECT_EQ(text_of(watcher.one_publish().payload), "dropped");
  EXPECT_FALSE(session_record_of("c"));
  if (is_v5()) {
    c.connect(clean_with_will(version(), "c", "asked for"));
    c.disconnect(reason_code::disconnect_with_will_message);
    EXPECT_EQ(text_of(watcher.one_publish().payload), "asked for");
    EXPECT_FALSE(session_record_of("c"));
  }
}

TEST_P(durability_test, a_clean_session_will_goes_once_after_a_crash) {
  auto& watcher = persistent("watcher");
  watcher.subscribe("will/#", qos::at_least_once);
  auto& c = client();
  // MQTT 5: the delay is cut short by the session's end, which the crash was (expiry 0).
  c.connect(clean_with_will(version(), "c", "crashed", 30));
  auto& quiet = client();
  quiet.connect(clean_with_will(version(), "quiet", "never"));
  quiet.disconnect();
  ASSERT_EQ(session_records(), 2u);  // the watcher's and the will of c

  restart();
  EXPECT_EQ(core().session_count(), 2u);  // the watcher, and c until its will is out
  advance(1s);
  EXPECT_EQ(core().session_count(), 1u);
  EXPECT_FALSE(session_record_of("c"));
  resume(watcher);
  const auto got = watcher.publishes();
  ASSERT_EQ(got.size(), 1u) << describe(watcher.received());
  EXPECT_EQ(got[0].topic, "will/c");
  EXPECT_EQ(text_of(got[0].payload), "crashed");
  watcher.ack(got[0]);
  settle();  // the acknowledgement is durable

  restart();
  advance(1s);
  resume(watcher);
  watcher.expect_nothing();
}

}  // namespace
}  // namespace tern::component
