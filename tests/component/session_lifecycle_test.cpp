// Session life cycle: clean start, persistence, offline queueing, resumption of in-flight
// messages, takeover, session expiry, queue limits.

#include <set>

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using session_test = broker_version_test;
TERN_BOTH_VERSIONS(session_test);

// CONNECT properties of a session that outlives its connection: MQTT 5 says so with a Session
// Expiry Interval; 3.1.1 with Clean Session 0 alone (the properties are not encoded).
codec::properties keep_for(std::uint32_t seconds) {
  codec::properties p;
  p.session_expiry_interval = seconds;
  return p;
}

TEST_P(session_test, first_persistent_connect_has_no_session_present) {
  auto& c = client();
  EXPECT_FALSE(c.connect(version(), "c", false, keep_for(3600)).session_present);
}

TEST_P(session_test, persistent_session_keeps_subscriptions) {
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  EXPECT_TRUE(sub.closed());
  const auto ack = sub.connect(version(), "sub", false, keep_for(3600));
  EXPECT_EQ(ack.reason, reason_code::success);
  EXPECT_TRUE(ack.session_present);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "m", qos::at_least_once);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.topic, "t");
  EXPECT_EQ(got.qos_level, qos::at_least_once);
}

TEST_P(session_test, clean_start_discards_the_existing_session) {
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  const auto ack = sub.connect(version(), "sub", true, keep_for(3600));
  EXPECT_FALSE(ack.session_present);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "m", qos::at_least_once);
  sub.expect_nothing();
}

TEST_P(session_test, clean_session_ends_with_the_connection) {
  // 3.1.1 Clean Session 1, MQTT 5 Clean Start 1 without Session Expiry: nothing survives.
  auto& sub = connected(version(), "sub", true);
  sub.subscribe("t", qos::at_least_once);
  const auto sessions = core().session_count();
  sub.disconnect();
  EXPECT_EQ(core().session_count(), sessions - 1);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "lost", qos::at_least_once);
  EXPECT_FALSE(sub.connect(version(), "sub", false, keep_for(3600)).session_present);
  sub.expect_nothing();
}

TEST_P(session_test, qos1_and_qos2_are_queued_offline_and_delivered_in_order) {
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t/#", qos::exactly_once);
  sub.disconnect();
  auto& pub = connected(version(), "pub");
  pub.publish("t/a", "1", qos::at_least_once);
  pub.publish("t/b", "2", qos::exactly_once);
  pub.publish("t/a", "zero", qos::at_most_once);
  pub.publish("t/c", "3", qos::at_least_once);
  pub.publish("t/a", "4", qos::exactly_once);
  EXPECT_TRUE(sub.connect(version(), "sub", false, keep_for(3600)).session_present);
  const auto got = sub.publishes();
  EXPECT_EQ(payloads(got), (std::vector<std::string>{"1", "2", "3", "4"}));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].qos_level, qos::at_least_once);
  EXPECT_EQ(got[1].qos_level, qos::exactly_once);
  EXPECT_EQ(got[1].topic, "t/b");
  for (const auto& p : got) EXPECT_FALSE(p.dup);  // first transmission
}

TEST_P(session_test, qos0_is_queued_offline_only_when_configured) {
  settings.queue_qos0_offline = true;
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.close_abruptly();
  auto& pub = connected(version(), "pub");
  pub.publish("t", "a", qos::at_least_once);
  pub.publish("t", "b", qos::at_most_once);
  pub.publish("t", "c", qos::at_least_once);
  sub.connect(version(), "sub", false, keep_for(3600));
  const auto got = sub.publishes();
  EXPECT_EQ(payloads(got), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].qos_level, qos::at_most_once);
}

TEST_P(session_test, qos0_granted_subscription_is_not_queued_offline_by_default) {
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_most_once);
  sub.disconnect();
  auto& pub = connected(version(), "pub");
  pub.publish("t", "downgraded to 0", qos::exactly_once);
  sub.connect(version(), "sub", false, keep_for(3600));
  sub.expect_nothing();
}

TEST_P(session_test, unacknowledged_messages_are_resent_on_resume) {
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::exactly_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "a", qos::at_least_once);
  pub.publish("t", "b", qos::exactly_once);
  pub.publish("t", "c", qos::exactly_once);
  pub.publish("t", "done", qos::at_least_once);
  const auto first = sub.publishes();
  ASSERT_EQ(payloads(first), (std::vector<std::string>{"a", "b", "c", "done"}));
  sub.pubrec(first[2].packet_id);  // "c" reaches the PUBREL stage
  EXPECT_EQ(sub.expect_one<codec::pubrel>().packet_id, first[2].packet_id);
  sub.puback(first[3].packet_id);  // "done" is finished
  sub.close_abruptly();
  pub.publish("t", "d", qos::at_least_once);  // queued while offline

  EXPECT_TRUE(sub.connect(version(), "sub", false, keep_for(3600)).session_present);
  const auto resumed = sub.received();
  ASSERT_EQ(resumed.size(), 4u) << describe(resumed);
  // In the original order: PUBLISH with DUP for those without PUBREC, PUBREL for "c"
  // [MQTT-4.4.0-1], then what was queued.
  const auto* a = std::get_if<codec::publish>(&resumed[0]);
  ASSERT_NE(a, nullptr) << describe(resumed);
  EXPECT_EQ(text_of(a->payload), "a");
  EXPECT_TRUE(a->dup);
  EXPECT_EQ(a->packet_id, first[0].packet_id);
  EXPECT_EQ(a->qos_level, qos::at_least_once);
  const auto* b = std::get_if<codec::publish>(&resumed[1]);
  ASSERT_NE(b, nullptr) << describe(resumed);
  EXPECT_EQ(text_of(b->payload), "b");
  EXPECT_TRUE(b->dup);
  EXPECT_EQ(b->packet_id, first[1].packet_id);
  EXPECT_EQ(b->qos_level, qos::exactly_once);
  const auto* rel = std::get_if<codec::pubrel>(&resumed[2]);
  ASSERT_NE(rel, nullptr) << describe(resumed);
  EXPECT_EQ(rel->packet_id, first[2].packet_id);
  const auto* d = std::get_if<codec::publish>(&resumed[3]);
  ASSERT_NE(d, nullptr) << describe(resumed);
  EXPECT_EQ(text_of(d->payload), "d");
  EXPECT_FALSE(d->dup);

  // The exchanges complete normally on the new connection.
  sub.puback(a->packet_id);
  sub.pubrec(b->packet_id);
  EXPECT_EQ(sub.expect_one<codec::pubrel>().packet_id, b->packet_id);
  sub.pubcomp(b->packet_id);
  sub.pubcomp(rel->packet_id);
  sub.puback(d->packet_id);
  sub.expect_nothing();
  EXPECT_TRUE(sub.session().persistent()->inflight.empty());
}

TEST_P(session_test, inbound_qos2_state_survives_reconnect) {
  auto& sub = connected(version(), "sub");
  sub.subscribe("t", qos::exactly_once);
  auto& pub = connected(version(), "pub", false, keep_for(3600));
  codec::publish p;
  p.topic = "t";
  p.payload = bytes_of("once");
  p.qos_level = qos::exactly_once;
  p.packet_id = 7;
  pub.send(p);
  EXPECT_EQ(pub.expect_one<codec::pubrec>().packet_id, 7u);
  pub.close_abruptly();
  EXPECT_TRUE(pub.connect(version(), "pub", false, keep_for(3600)).session_present);
  p.dup = true;
  pub.send(p);  // the client resends as it never saw the PUBREC
  EXPECT_EQ(pub.expect_one<codec::pubrec>().packet_id, 7u);
  pub.pubrel(7);
  EXPECT_EQ(pub.expect_one<codec::pubcomp>().reason, reason_code::success);
  EXPECT_EQ(sub.drain_acking().size(), 1u);  // exactly once
}

TEST_P(session_test, takeover_closes_the_old_connection_and_keeps_the_session) {
  auto& first = connected(version(), "same", false, keep_for(3600));
  first.subscribe("t", qos::at_least_once);
  auto& second = client();
  const auto ack = second.connect(version(), "same", false, keep_for(3600));
  EXPECT_EQ(ack.reason, reason_code::success);
  EXPECT_TRUE(ack.session_present);

  EXPECT_TRUE(first.closed());
  EXPECT_EQ(first.session().close_reason().reason, reason_code::session_taken_over);
  const auto old_out = first.received();
  if (is_v5()) {
    ASSERT_EQ(old_out.size(), 1u) << describe(old_out);
    EXPECT_EQ(std::get<codec::disconnect>(old_out[0]).reason, reason_code::session_taken_over);
  } else {
    EXPECT_TRUE(old_out.empty()) << describe(old_out);
  }

  auto& pub = connected(version(), "pub");
  pub.publish("t", "m", qos::at_least_once);
  EXPECT_EQ(second.one_publish().topic, "t");
  first.expect_nothing();
  EXPECT_TRUE(second.connected());
}

TEST_P(session_test, takeover_hands_unacknowledged_messages_to_the_new_connection) {
  auto& first = connected(version(), "same", false, keep_for(3600));
  first.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "m", qos::at_least_once);
  const auto sent = first.one_publish();
  auto& second = client();
  second.connect(version(), "same", false, keep_for(3600));
  const auto again = second.one_publish();
  EXPECT_TRUE(again.dup);
  EXPECT_EQ(again.packet_id, sent.packet_id);
  EXPECT_EQ(text_of(again.payload), "m");
}

TEST_P(session_test, takeover_with_clean_start_discards_the_session) {
  auto& first = connected(version(), "same", false, keep_for(3600));
  first.subscribe("t", qos::at_least_once);
  auto& second = client();
  EXPECT_FALSE(second.connect(version(), "same", true).session_present);
  EXPECT_TRUE(first.closed());
  auto& pub = connected(version(), "pub");
  pub.publish("t", "m", qos::at_least_once);
  second.expect_nothing();
}

TEST_F(broker_test, v5_session_expires_after_its_interval) {
  auto& sub = connected(v5, "sub", false, keep_for(60));
  sub.subscribe("t", qos::at_least_once);
  const auto sessions = core().session_count();
  sub.disconnect();
  advance(59s);
  EXPECT_EQ(core().session_count(), sessions);
  advance(1s);
  EXPECT_EQ(core().session_count(), sessions - 1);
  EXPECT_FALSE(sub.connect(v5, "sub", false, keep_for(60)).session_present);
  auto& pub = connected(v5, "pub");
  pub.publish("t", "m", qos::at_least_once);
  sub.expect_nothing();  // the subscription went with the session
}

TEST_F(broker_test, v5_reconnect_before_expiry_restarts_the_interval) {
  auto& sub = connected(v5, "sub", false, keep_for(60));
  sub.disconnect();  // expiry due at +60
  advance(10s);
  EXPECT_TRUE(sub.connect(v5, "sub", false, keep_for(60)).session_present);
  advance(10s);
  sub.close_abruptly();  // expiry now due at +80
  advance(45s);          // the first disconnect's timer fired at +60 and must not end it
  EXPECT_TRUE(sub.connect(v5, "sub", false, keep_for(60)).session_present);
}

TEST_F(broker_test, v5_disconnect_cannot_give_a_zero_expiry_session_a_lifetime) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will");
  auto& c = client();
  auto con = make_connect(v5, "c");
  con.will = make_will("will", "gone");
  c.connect(con);
  codec::properties props;
  props.session_expiry_interval = 60;
  c.disconnect(reason_code::success, props);
  EXPECT_TRUE(c.closed());
  const auto out = c.received();
  ASSERT_EQ(out.size(), 1u) << describe(out);
  EXPECT_EQ(std::get<codec::disconnect>(out[0]).reason, reason_code::protocol_error);
  // A protocol error is not a normal disconnection: the will goes.
  EXPECT_EQ(text_of(watcher.one_publish().payload), "gone");
  EXPECT_FALSE(c.connect(v5, "c", false).session_present);
}

TEST_F(broker_test, v5_disconnect_can_shorten_the_session_expiry) {
  auto& a = connected(v5, "a", false, keep_for(3600));
  codec::properties zero;
  zero.session_expiry_interval = 0;
  a.disconnect(reason_code::success, zero);
  EXPECT_FALSE(a.connect(v5, "a", false, keep_for(3600)).session_present);

  codec::properties ten;
  ten.session_expiry_interval = 10;
  a.disconnect(reason_code::success, ten);
  advance(9s);
  EXPECT_TRUE(a.connect(v5, "a", false, keep_for(3600)).session_present);
  a.disconnect(reason_code::success, ten);
  advance(10s);
  EXPECT_FALSE(a.connect(v5, "a", false, keep_for(3600)).session_present);
}

TEST_F(broker_test, v5_max_session_expiry_caps_and_is_announced) {
  settings.max_session_expiry = 100;
  auto& c = client();
  const auto capped = c.connect(v5, "c", false, keep_for(1000));
  EXPECT_EQ(capped.props.session_expiry_interval, 100u);
  c.disconnect();
  advance(99s);
  EXPECT_TRUE(c.connect(v5, "c", false, keep_for(50)).session_present);
  // The client's own value holds when within the cap.
  c.disconnect();
  advance(50s);
  EXPECT_FALSE(c.connect(v5, "c", false, keep_for(1000)).session_present);
  c.disconnect();
  advance(101s);
  const auto within = c.connect(v5, "c", false, keep_for(50));
  EXPECT_FALSE(within.session_present);
  // Within the cap: nothing to announce.
  EXPECT_FALSE(within.props.session_expiry_interval.has_value());
}

TEST_F(broker_test, v5_max_session_expiry_cap_is_not_announced_when_not_needed) {
  settings.max_session_expiry = 100;
  auto& c = client();
  EXPECT_FALSE(c.connect(v5, "c", false, keep_for(100)).props.session_expiry_interval);
}

TEST_F(broker_test, v311_clean_session_0_persists_up_to_the_configured_maximum) {
  settings.max_session_expiry = 2 * 3600;
  auto& c = connected(v311, "c", false);
  c.subscribe("t", qos::at_least_once);
  c.close_abruptly();
  advance(3600s);
  EXPECT_TRUE(c.connect(v311, "c", false).session_present);
  c.disconnect();
  advance(2 * 3600s + 1s);
  EXPECT_FALSE(c.connect(v311, "c", false).session_present);
}

TEST_P(session_test, offline_queue_limit_drops_new_messages_by_default) {
  settings.max_queued_messages = 3;
  settings.queue_policy = protocol::queue_full_policy::drop_new;
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  auto& pub = connected(version(), "pub");
  for (int i = 0; i < 5; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  sub.connect(version(), "sub", false, keep_for(3600));
  EXPECT_EQ(payloads(sub.publishes()), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(sub.session().persistent()->dropped_messages, 2u);
}

TEST_P(session_test, offline_queue_limit_drops_oldest_when_configured) {
  settings.max_queued_messages = 3;
  settings.queue_policy = protocol::queue_full_policy::drop_oldest;
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  auto& pub = connected(version(), "pub");
  for (int i = 0; i < 5; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  sub.connect(version(), "sub", false, keep_for(3600));
  EXPECT_EQ(payloads(sub.publishes()), (std::vector<std::string>{"2", "3", "4"}));
}

TEST_P(session_test, queue_limit_applies_behind_a_full_window_too) {
  settings.max_inflight = 1;
  settings.max_queued_messages = 2;
  settings.queue_policy = protocol::queue_full_policy::drop_oldest;
  auto& sub = connected(version(), "sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  for (int i = 0; i < 6; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  EXPECT_EQ(payloads(sub.drain_acking()), (std::vector<std::string>{"0", "4", "5"}));
}

TEST_P(session_test, keep_alive_closes_a_silent_connection_at_one_and_a_half_intervals) {
  auto& c = client();
  auto con = make_connect(version(), "c");
  con.keep_alive = 10;
  c.connect(con);
  advance(14s);
  c.ping();
  advance(14s);
  EXPECT_FALSE(c.closed());
  advance(1s);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.session().close_reason().reason, reason_code::keep_alive_timeout);
  const auto out = c.received();
  if (is_v5()) {
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(std::get<codec::disconnect>(out[0]).reason, reason_code::keep_alive_timeout);
  } else {
    EXPECT_TRUE(out.empty()) << describe(out);
  }
}

TEST_P(session_test, qos0_queued_offline_keeps_its_order_before_later_qos0) {
  // Messages of one publisher on one topic at one QoS keep their order [MQTT-4.6.0-6]: QoS 0
  // messages queued while offline must not be overtaken by QoS 0 messages that come later.
  settings.queue_qos0_offline = true;
  settings.max_inflight = 1;
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  auto& pub = connected(version(), "pub");
  pub.publish("t", "q1-a", qos::at_least_once);
  pub.publish("t", "q1-b", qos::at_least_once);
  pub.publish("t", "q0-1", qos::at_most_once);
  sub.connect(version(), "sub", false, keep_for(3600));
  pub.publish("t", "q0-2", qos::at_most_once);
  std::vector<std::string> qos0;
  for (const auto& p : sub.drain_acking()) {
    if (p.qos_level == qos::at_most_once) qos0.push_back(text_of(p.payload));
  }
  EXPECT_EQ(qos0, (std::vector<std::string>{"q0-1", "q0-2"}));
}

TEST_F(broker_test, v5_resumed_message_too_large_for_the_new_maximum_packet_size_is_dropped) {
  // A message too large for the client is discarded as if delivered [MQTT-3.1.2-25]; one that
  // was in flight when the client came back with a smaller Maximum Packet Size must not keep
  // its slot of the in-flight window for ever.
  settings.max_inflight = 1;
  codec::properties keep = keep_for(3600);
  auto& sub = connected(v5, "sub", false, keep);
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  pub.publish("t", std::string(200, 'x'), qos::at_least_once);
  EXPECT_EQ(sub.publishes().size(), 1u);  // not acknowledged
  sub.close_abruptly();
  codec::properties small = keep;
  small.maximum_packet_size = 64;
  EXPECT_TRUE(sub.connect(v5, "sub", false, small).session_present);
  sub.expect_nothing();  // too large to resend
  pub.publish("t", "small", qos::at_least_once);
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"small"});
}

TEST_P(session_test, resumed_session_respects_the_window_and_uses_fresh_packet_ids) {
  settings.max_inflight = 2;
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "0", qos::at_least_once);
  const auto unacked = sub.one_publish();
  sub.close_abruptly();
  for (int i = 1; i < 6; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  sub.connect(version(), "sub", false, keep_for(3600));
  const auto first = sub.publishes();
  ASSERT_EQ(payloads(first), (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(first[0].dup);
  EXPECT_EQ(first[0].packet_id, unacked.packet_id);
  EXPECT_NE(first[1].packet_id, unacked.packet_id);
  std::vector<std::string> rest;
  for (const auto& p : first) sub.ack(p);
  for (const auto& p : sub.drain_acking()) rest.push_back(text_of(p.payload));
  EXPECT_EQ(rest, (std::vector<std::string>{"2", "3", "4", "5"}));
}

TEST_P(session_test, packet_ids_wrap_around_past_the_one_still_in_flight) {
  settings.max_inflight = 2;
  auto& sub = connected(version(), "sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  pub.publish("t", "held", qos::at_least_once);
  const auto held = sub.one_publish();  // never acknowledged
  std::set<std::uint16_t> seen{held.packet_id};
  // Every other identifier once, acknowledged at once: the counter comes round to the held one.
  for (int i = 0; i < 65'535; ++i) {
    pub.publish("t", "x", qos::at_least_once);
    const auto p = sub.one_publish();
    ASSERT_NE(p.packet_id, held.packet_id) << "message " << i;
    if (i < 65'534) seen.insert(p.packet_id);
    sub.ack(p);
  }
  EXPECT_EQ(seen.size(), 65'535u);  // all of 1..65535, the held one skipped on the way round
  sub.ack(held);
  pub.publish("t", "after", qos::at_least_once);
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"after"});
}

TEST_P(session_test, offline_queue_byte_limit_drops_messages) {
  settings.max_queued_bytes = 10;  // topic + payload bytes
  auto& sub = connected(version(), "sub", false, keep_for(3600));
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  auto& pub = connected(version(), "pub");
  pub.publish("t", "1111", qos::at_least_once);  // 5 bytes
  pub.publish("t", "2222", qos::at_least_once);  // 10
  pub.publish("t", "3", qos::at_least_once);     // 12: over
  sub.connect(version(), "sub", false, keep_for(3600));
  EXPECT_EQ(payloads(sub.publishes()), (std::vector<std::string>{"1111", "2222"}));
}

TEST_P(session_test, inbound_qos2_completes_on_the_connection_that_took_over) {
  auto& sub = connected(version(), "sub");
  sub.subscribe("t", qos::exactly_once);
  auto& first = connected(version(), "pub", false, keep_for(3600));
  const auto id = first.publish("t", "x", qos::exactly_once);
  EXPECT_EQ(first.expect_one<codec::pubrec>().packet_id, id);
  auto& second = client();
  EXPECT_TRUE(second.connect(version(), "pub", false, keep_for(3600)).session_present);
  second.pubrel(id);
  const auto comp = second.expect_one<codec::pubcomp>();
  EXPECT_EQ(comp.packet_id, id);
  EXPECT_EQ(comp.reason, reason_code::success);
  EXPECT_EQ(sub.drain_acking().size(), 1u);
}

}  // namespace
}  // namespace tern::component
