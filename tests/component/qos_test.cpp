// QoS flows end to end: downgrade, packet identifiers, the in-flight window, the QoS 2
// handshake both ways, and the inbound Receive Maximum.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using qos_test = broker_version_test;
TERN_BOTH_VERSIONS(qos_test);

TEST_P(qos_test, delivery_qos_is_the_minimum_of_published_and_granted) {
  auto& s0 = connected(version(), "s0");
  auto& s1 = connected(version(), "s1");
  auto& s2 = connected(version(), "s2");
  auto& pub = connected(version(), "pub");
  s0.subscribe("t", qos::at_most_once);
  s1.subscribe("t", qos::at_least_once);
  s2.subscribe("t", qos::exactly_once);
  const qos levels[] = {qos::at_most_once, qos::at_least_once, qos::exactly_once};
  for (const auto published : levels) {
    pub.publish("t", "m", published);
    const auto got0 = s0.one_publish();
    const auto got1 = s1.one_publish();
    const auto got2 = s2.one_publish();
    EXPECT_EQ(got0.qos_level, qos::at_most_once);
    EXPECT_EQ(got0.packet_id, 0u);
    EXPECT_EQ(got1.qos_level, std::min(published, qos::at_least_once));
    EXPECT_EQ(got2.qos_level, published);
    s1.ack(got1);
    s2.ack(got2);
  }
}

TEST_P(qos_test, inbound_qos1_gets_puback_with_its_packet_id) {
  auto& pub = connected(version(), "pub");
  const auto id = pub.publish("t", "m", qos::at_least_once);
  const auto ack = pub.expect_one<codec::puback>();
  EXPECT_EQ(ack.packet_id, id);
  EXPECT_EQ(ack.reason, reason_code::success);
}

TEST_P(qos_test, inbound_qos2_handshake) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::exactly_once);
  const auto id = pub.publish("t", "m", qos::exactly_once);
  EXPECT_EQ(pub.expect_one<codec::pubrec>().packet_id, id);
  // Routed on receipt; PUBREL only completes the handshake.
  EXPECT_EQ(sub.publishes().size(), 1u);
  pub.pubrel(id);
  const auto comp = pub.expect_one<codec::pubcomp>();
  EXPECT_EQ(comp.packet_id, id);
  EXPECT_EQ(comp.reason, reason_code::success);
  sub.expect_nothing();
}

TEST_P(qos_test, qos1_outbound_uses_nonzero_distinct_ids_and_puback_frees_the_slot) {
  settings.max_inflight = 3;
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::at_least_once);
  for (int i = 0; i < 4; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  const auto first = sub.publishes();
  ASSERT_EQ(payloads(first), (std::vector<std::string>{"0", "1", "2"}));
  std::set<std::uint16_t> ids;
  for (const auto& p : first) {
    EXPECT_NE(p.packet_id, 0u);
    EXPECT_EQ(p.qos_level, qos::at_least_once);
    EXPECT_FALSE(p.dup);
    ids.insert(p.packet_id);
  }
  EXPECT_EQ(ids.size(), 3u);
  // An unknown id frees nothing.
  sub.puback(static_cast<std::uint16_t>(*ids.rbegin() + 100));
  sub.expect_nothing();
  sub.puback(first[1].packet_id);
  const auto next = sub.one_publish();
  EXPECT_EQ(text_of(next.payload), "3");
  EXPECT_FALSE(ids.contains(next.packet_id));  // first[0] and first[2] are still in flight
  // A duplicate PUBACK does nothing.
  sub.puback(first[1].packet_id);
  sub.expect_nothing();
}

TEST_P(qos_test, in_flight_window_queues_the_rest_and_sends_them_in_order_on_ack) {
  settings.max_inflight = 2;
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::exactly_once);
  for (int i = 0; i < 6; ++i) {
    pub.publish("t", std::to_string(i), i % 2 == 0 ? qos::at_least_once : qos::exactly_once);
  }
  auto batch = sub.publishes();
  ASSERT_EQ(payloads(batch), (std::vector<std::string>{"0", "1"}));
  std::vector<std::string> got = payloads(batch);
  // Acknowledge the second first: one slot frees, the next in order goes.
  sub.ack(batch[1]);
  auto one = sub.publishes();
  ASSERT_EQ(payloads(one), std::vector<std::string>{"2"});
  got.push_back("2");
  sub.ack(batch[0]);
  sub.ack(one[0]);
  for (const auto& p : sub.drain_acking()) got.push_back(text_of(p.payload));
  EXPECT_EQ(got, (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));
}

TEST_P(qos_test, qos0_is_not_held_back_by_a_full_window) {
  settings.max_inflight = 1;
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::at_least_once);
  pub.publish("t", "q1", qos::at_least_once);
  pub.publish("t", "q1-queued", qos::at_least_once);
  pub.publish("t", "q0", qos::at_most_once);
  const auto got = sub.publishes();
  EXPECT_EQ(payloads(got), (std::vector<std::string>{"q1", "q0"}));
}

TEST_F(broker_test, v5_client_receive_maximum_bounds_the_window) {
  codec::properties props;
  props.receive_maximum = 2;
  auto& sub = connected(v5, "sub", true, props);
  auto& pub = connected(v5, "pub");
  sub.subscribe("t", qos::at_least_once);
  for (int i = 0; i < 5; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  auto first = sub.publishes();
  ASSERT_EQ(payloads(first), (std::vector<std::string>{"0", "1"}));
  sub.puback(first[0].packet_id);
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"2"});
  sub.puback(first[1].packet_id);
  EXPECT_EQ(payloads(sub.drain_acking()), (std::vector<std::string>{"3", "4"}));
}

TEST_F(broker_test, v5_smaller_of_max_inflight_and_receive_maximum_wins) {
  settings.max_inflight = 1;
  codec::properties props;
  props.receive_maximum = 10;
  auto& sub = connected(v5, "sub", true, props);
  auto& pub = connected(v5, "pub");
  sub.subscribe("t", qos::at_least_once);
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  EXPECT_EQ(sub.publishes().size(), 1u);
}

TEST_P(qos_test, outbound_qos2_pubrec_pubrel_pubcomp) {
  settings.max_inflight = 1;
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::exactly_once);
  pub.publish("t", "a", qos::exactly_once);
  pub.publish("t", "b", qos::exactly_once);
  const auto first = sub.one_publish();
  EXPECT_EQ(first.qos_level, qos::exactly_once);
  EXPECT_NE(first.packet_id, 0u);
  sub.pubrec(first.packet_id);
  const auto rel = sub.expect_one<codec::pubrel>();
  EXPECT_EQ(rel.packet_id, first.packet_id);
  EXPECT_EQ(rel.reason, reason_code::success);
  // Still in flight until PUBCOMP: "b" waits.
  sub.expect_nothing();
  sub.pubcomp(first.packet_id);
  const auto second = sub.one_publish();
  EXPECT_EQ(text_of(second.payload), "b");
}

TEST_F(broker_test, v5_pubrec_for_an_unknown_id_gets_pubrel_0x92) {
  auto& sub = connected(v5, "sub");
  sub.pubrec(999);
  const auto rel = sub.expect_one<codec::pubrel>();
  EXPECT_EQ(rel.packet_id, 999u);
  EXPECT_EQ(rel.reason, reason_code::packet_identifier_not_found);
}

TEST_F(broker_test, v5_pubrec_with_error_reason_ends_the_exchange) {
  settings.max_inflight = 1;
  auto& sub = connected(v5, "sub");
  auto& pub = connected(v5, "pub");
  sub.subscribe("t", qos::exactly_once);
  pub.publish("t", "a", qos::exactly_once);
  pub.publish("t", "b", qos::exactly_once);
  const auto first = sub.one_publish();
  sub.pubrec(first.packet_id, reason_code::unspecified_error);
  // No PUBREL; the slot is free and "b" goes.
  const auto next = sub.one_publish();
  EXPECT_EQ(text_of(next.payload), "b");
}

TEST_P(qos_test, inbound_qos2_resent_before_pubrel_is_acknowledged_but_routed_once) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::exactly_once);
  codec::publish p;
  p.topic = "t";
  p.payload = bytes_of("once");
  p.qos_level = qos::exactly_once;
  p.packet_id = 42;
  pub.send(p);
  p.dup = true;
  pub.send(p);
  pub.send(p);
  const auto acks = pub.received();
  ASSERT_EQ(acks.size(), 3u) << describe(acks);
  for (const auto& a : acks) {
    ASSERT_TRUE(std::holds_alternative<codec::pubrec>(a)) << describe(a);
    EXPECT_EQ(std::get<codec::pubrec>(a).packet_id, 42u);
    EXPECT_EQ(std::get<codec::pubrec>(a).reason, reason_code::success);
  }
  auto got = sub.publishes();
  ASSERT_EQ(got.size(), 1u);
  sub.ack(got[0]);
  pub.pubrel(42);
  EXPECT_EQ(pub.expect_one<codec::pubcomp>().reason, reason_code::success);
  // After PUBREL the identifier is free again: a new message with it is a new message.
  p.dup = false;
  p.payload = bytes_of("again");
  pub.send(p);
  EXPECT_EQ(pub.expect_one<codec::pubrec>().packet_id, 42u);
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"again"});
}

TEST_P(qos_test, pubrel_for_an_unknown_id_gets_pubcomp) {
  auto& pub = connected(version(), "pub");
  pub.pubrel(5);
  const auto comp = pub.expect_one<codec::pubcomp>();
  EXPECT_EQ(comp.packet_id, 5u);
  if (is_v5()) {
    EXPECT_EQ(comp.reason, reason_code::packet_identifier_not_found);
  }
  EXPECT_FALSE(pub.closed());
}

TEST_P(qos_test, exceeding_receive_maximum_with_qos2_closes_an_mqtt5_connection) {
  settings.receive_maximum = 3;
  auto& pub = connected(version(), "pub");
  auto& sub = connected(version(), "sub");
  sub.subscribe("t", qos::exactly_once);
  std::vector<std::uint16_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(pub.publish("t", "m", qos::exactly_once));
  EXPECT_EQ(pub.received().size(), 3u);  // three PUBRECs
  EXPECT_FALSE(pub.closed());
  // Completing one makes room for one more.
  pub.pubrel(ids[0]);
  EXPECT_EQ(pub.expect_one<codec::pubcomp>().reason, reason_code::success);
  pub.publish("t", "m", qos::exactly_once);
  EXPECT_EQ(pub.expect_one<codec::pubrec>().reason, reason_code::success);
  EXPECT_FALSE(pub.closed());
  EXPECT_EQ(sub.publishes().size(), 4u);
  // The fourth outstanding one is too many for an MQTT 5 client, which was told the maximum;
  // 3.1.1 has no Receive Maximum, so its client is not disconnected (16-bit ids bound it).
  pub.publish("t", "too many", qos::exactly_once);
  const auto out = pub.received();
  if (is_v5()) {
    EXPECT_TRUE(pub.closed());
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_EQ(std::get<codec::disconnect>(out[0]).reason, reason_code::receive_maximum_exceeded);
  } else {
    EXPECT_FALSE(pub.closed());
    ASSERT_EQ(out.size(), 1u) << describe(out);
    EXPECT_TRUE(std::holds_alternative<codec::pubrec>(out[0]));
  }
}

TEST_F(broker_test, v5_connack_announces_receive_maximum) {
  settings.receive_maximum = 10;
  auto& c = client();
  const auto ack = c.connect(v5, "c");
  EXPECT_EQ(ack.props.receive_maximum, 10);
}

TEST_P(qos_test, qos1_resend_is_routed_again_at_least_once) {
  // QoS 1 has no duplicate detection: a resend is a new delivery (at least once).
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("t", qos::at_least_once);
  codec::publish p;
  p.topic = "t";
  p.payload = bytes_of("x");
  p.qos_level = qos::at_least_once;
  p.packet_id = 9;
  pub.send(p);
  p.dup = true;
  pub.send(p);
  EXPECT_EQ(pub.received().size(), 2u);  // two PUBACKs
  EXPECT_EQ(sub.drain_acking().size(), 2u);
}

TEST_P(qos_test, resend_of_a_pending_qos2_id_at_the_receive_maximum_is_accepted) {
  settings.receive_maximum = 2;
  auto& pub = connected(version(), "pub");
  codec::publish p;
  p.topic = "t";
  p.payload = bytes_of("x");
  p.qos_level = qos::exactly_once;
  p.packet_id = 1;
  pub.send(p);
  p.packet_id = 2;
  pub.send(p);
  p.dup = true;
  pub.send(p);  // a resend is not a new message: no Receive Maximum violation
  EXPECT_FALSE(pub.closed());
  EXPECT_EQ(pub.received().size(), 3u);
}

TEST_P(qos_test, slow_reader_gets_qos1_later_and_in_order) {
  settings.max_output_buffer = 256;
  auto& sub = connected(version(), "sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(version(), "pub");
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back(std::to_string(i) + std::string(40, '.'));
    pub.publish("t", sent.back(), qos::at_least_once);
  }
  // The subscriber has not read anything: the rest waits in its queue, not in its buffer.
  EXPECT_FALSE(sub.session().persistent()->queue.empty());
  EXPECT_LT(sub.session().persistent()->inflight.size(), 20u);
  EXPECT_EQ(payloads(sub.drain_acking()), sent);
}

TEST_P(qos_test, slow_reader_loses_qos0_but_not_its_order) {
  settings.max_output_buffer = 256;
  auto& sub = connected(version(), "sub");
  sub.subscribe("t");
  auto& pub = connected(version(), "pub");
  for (int i = 0; i < 20; ++i) pub.publish("t", std::to_string(100 + i) + std::string(40, '.'));
  const auto got = payloads(sub.publishes());
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), 20u);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  // Once read, new messages flow again.
  pub.publish("t", "after");
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"after"});
}

}  // namespace
}  // namespace tern::component
