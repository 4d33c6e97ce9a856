// Shared subscriptions ($share/<group>/<filter>, [MQTT-4.8.2]): one member per group gets each
// message, round robin; groups and plain subscribers are independent.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using shared_test = broker_version_test;
TERN_BOTH_VERSIONS(shared_test);

codec::properties keep_for(std::uint32_t seconds) {
  codec::properties p;
  p.session_expiry_interval = seconds;
  return p;
}

TEST_P(shared_test, two_members_alternate_and_each_message_goes_to_exactly_one) {
  auto& m1 = connected(version(), "m1");
  auto& m2 = connected(version(), "m2");
  auto& pub = connected(version(), "pub");
  EXPECT_EQ(m1.subscribe("$share/g/jobs/+", qos::at_least_once),
            std::vector{reason_code::granted_qos_1});
  EXPECT_EQ(m2.subscribe("$share/g/jobs/+", qos::at_least_once),
            std::vector{reason_code::granted_qos_1});
  std::vector<int> owner;  // which member got message i
  std::multiset<std::string> all;
  for (int i = 0; i < 10; ++i) {
    pub.publish("jobs/x", std::to_string(i), qos::at_least_once);
    const auto a = m1.drain_acking();
    const auto b = m2.drain_acking();
    ASSERT_EQ(a.size() + b.size(), 1u) << "message " << i;
    owner.push_back(a.empty() ? 2 : 1);
    for (const auto& p : a) all.insert(text_of(p.payload));
    for (const auto& p : b) all.insert(text_of(p.payload));
  }
  for (std::size_t i = 1; i < owner.size(); ++i) {
    EXPECT_NE(owner[i], owner[i - 1]) << "round robin broken at message " << i;
  }
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 10u);
}

TEST_P(shared_test, each_group_gets_a_copy_and_plain_subscribers_get_theirs) {
  auto& g1a = connected(version(), "g1a");
  auto& g1b = connected(version(), "g1b");
  auto& g2 = connected(version(), "g2");
  auto& plain = connected(version(), "plain");
  auto& pub = connected(version(), "pub");
  g1a.subscribe("$share/one/t");
  g1b.subscribe("$share/one/t");
  g2.subscribe("$share/two/#");
  plain.subscribe("t");
  for (int i = 0; i < 4; ++i) pub.publish("t", std::to_string(i));
  const auto a = g1a.publishes();
  const auto b = g1b.publishes();
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(payloads(g2.publishes()), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(payloads(plain.publishes()), (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST_P(shared_test, same_client_in_group_and_plain_gets_one_copy) {
  auto& c = connected(version(), "c");
  auto& pub = connected(version(), "pub");
  c.subscribe("$share/g/t", qos::at_least_once);
  c.subscribe("t", qos::at_most_once);
  pub.publish("t", "x", qos::at_least_once);
  const auto got = c.one_publish();
  EXPECT_EQ(got.qos_level, qos::at_least_once);  // the higher of the two
}

TEST_P(shared_test, group_qos_is_per_member) {
  auto& m1 = connected(version(), "m1");
  auto& m2 = connected(version(), "m2");
  auto& pub = connected(version(), "pub");
  m1.subscribe("$share/g/t", qos::at_most_once);
  m2.subscribe("$share/g/t", qos::exactly_once);
  pub.publish("t", "1", qos::exactly_once);
  pub.publish("t", "2", qos::exactly_once);
  const auto a = m1.publishes();
  const auto b = m2.publishes();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].qos_level, qos::at_most_once);
  EXPECT_EQ(b[0].qos_level, qos::exactly_once);
}

TEST_P(shared_test, unsubscribed_member_leaves_the_group) {
  auto& m1 = connected(version(), "m1");
  auto& m2 = connected(version(), "m2");
  auto& pub = connected(version(), "pub");
  m1.subscribe("$share/g/t");
  m2.subscribe("$share/g/t");
  m1.unsubscribe({"$share/g/t"});
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i));
  m1.expect_nothing();
  EXPECT_EQ(m2.publishes().size(), 3u);
  m2.unsubscribe({"$share/g/t"});
  pub.publish("t", "none");
  m1.expect_nothing();
  m2.expect_nothing();
}

TEST_P(shared_test, same_group_name_with_different_filters_are_different_groups) {
  auto& a = connected(version(), "a");
  auto& b = connected(version(), "b");
  auto& pub = connected(version(), "pub");
  a.subscribe("$share/g/t/+");
  b.subscribe("$share/g/t/x");
  pub.publish("t/x", "1");
  EXPECT_EQ(a.publishes().size(), 1u);
  EXPECT_EQ(b.publishes().size(), 1u);
}

TEST_F(broker_test, v5_shared_subscription_delivery_carries_the_identifier) {
  auto& m = connected(v5, "m");
  auto& pub = connected(v5, "pub");
  m.subscribe("$share/g/t", qos::at_most_once, 33);
  pub.publish("t", "x");
  EXPECT_EQ(m.one_publish().props.subscription_identifiers, std::vector<std::uint32_t>{33});
}

TEST_P(shared_test, offline_member_is_skipped_while_another_is_online) {
  auto& away = connected(version(), "away", false, keep_for(3600));
  auto& here = connected(version(), "here");
  auto& pub = connected(version(), "pub");
  away.subscribe("$share/g/t", qos::at_least_once);
  here.subscribe("$share/g/t", qos::at_least_once);
  away.disconnect();
  for (int i = 0; i < 4; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  EXPECT_EQ(payloads(here.drain_acking()), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_TRUE(away.connect(version(), "away", false, keep_for(3600)).session_present);
  away.expect_nothing();  // nothing was parked with the offline member
}

TEST_P(shared_test, with_every_member_offline_one_of_them_keeps_the_message) {
  auto& m1 = connected(version(), "m1", false, keep_for(3600));
  auto& m2 = connected(version(), "m2", false, keep_for(3600));
  auto& pub = connected(version(), "pub");
  m1.subscribe("$share/g/t", qos::at_least_once);
  m2.subscribe("$share/g/t", qos::at_least_once);
  m1.disconnect();
  m2.disconnect();
  pub.publish("t", "waiting", qos::at_least_once);
  m1.connect(version(), "m1", false, keep_for(3600));
  m2.connect(version(), "m2", false, keep_for(3600));
  const auto a = m1.publishes();
  const auto b = m2.publishes();
  EXPECT_EQ(a.size() + b.size(), 1u);
}

TEST_P(shared_test, unacknowledged_qos1_goes_to_another_member_when_its_member_leaves) {
  // MQTT 5 section 4.8.2 allows it ("MAY attempt to send the message to another Client as soon
  // as it loses its connection to the first Client"); at least once still holds.
  auto& m1 = connected(version(), "m1", false, keep_for(3600));
  auto& m2 = connected(version(), "m2");
  auto& pub = connected(version(), "pub");
  m1.subscribe("$share/g/t", qos::at_least_once);
  m2.subscribe("$share/g/t", qos::at_least_once);
  pub.publish("t", "1", qos::at_least_once);
  pub.publish("t", "2", qos::at_least_once);
  const auto first = m1.publishes();
  const auto second = m2.publishes();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  m2.ack(second[0]);
  m1.close_abruptly();  // never acknowledged its message
  const auto moved = m2.one_publish();
  EXPECT_EQ(moved.payload, first[0].payload);
  EXPECT_EQ(moved.qos_level, qos::at_least_once);
  m2.ack(moved);
  EXPECT_TRUE(m1.connect(version(), "m1", false, keep_for(3600)).session_present);
  m1.expect_nothing();  // handed on, not resent here too
}

TEST_P(shared_test, qos2_already_sent_stays_with_its_member) {
  // Exactly once: a QoS 2 message that reached one member is not given to another.
  auto& m1 = connected(version(), "m1", false, keep_for(3600));
  auto& m2 = connected(version(), "m2", false, keep_for(3600));
  auto& pub = connected(version(), "pub");
  m1.subscribe("$share/g/t", qos::exactly_once);
  m2.subscribe("$share/g/t", qos::exactly_once);
  pub.publish("t", "once", qos::exactly_once);
  auto got1 = m1.publishes();
  auto got2 = m2.publishes();
  ASSERT_EQ(got1.size() + got2.size(), 1u);
  auto& holder = got1.empty() ? m2 : m1;
  auto& other = got1.empty() ? m1 : m2;
  const auto sent = got1.empty() ? got2[0] : got1[0];
  const auto id = holder.client_id();
  holder.close_abruptly();
  other.expect_nothing();
  EXPECT_TRUE(holder.connect(version(), id, false, keep_for(3600)).session_present);
  const auto again = holder.one_publish();
  EXPECT_TRUE(again.dup);
  EXPECT_EQ(again.packet_id, sent.packet_id);
  EXPECT_EQ(text_of(again.payload), "once");
}

TEST_P(shared_test, queued_messages_of_a_leaving_member_go_to_the_others) {
  settings.max_inflight = 1;
  auto& m1 = connected(version(), "m1", false, keep_for(3600));
  auto& pub = connected(version(), "pub");
  m1.subscribe("$share/g/t", qos::at_least_once);
  for (int i = 0; i < 3; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  EXPECT_EQ(m1.publishes().size(), 1u);  // "1" and "2" wait behind the window
  auto& m2 = connected(version(), "m2");
  m2.subscribe("$share/g/t", qos::at_least_once);
  m1.close_abruptly();
  EXPECT_EQ(payloads(m2.drain_acking()), (std::vector<std::string>{"0", "1", "2"}));
}

TEST_F(broker_test, shared_message_handed_on_at_session_end_uses_the_injected_clock) {
  // When a session ends, its unacknowledged shared-subscription messages are handed on at the
  // caller's (injected) time: a manual clock behind the real one must not make them expire.
  now = protocol::clock::now() - 24h;  // the manual clock runs a day behind the real one
  auto& keeper = connected(v5, "keeper", false, [] {
    codec::properties p;
    p.session_expiry_interval = 3600;
    return p;
  }());
  keeper.subscribe("$share/g/t", qos::at_least_once);
  keeper.disconnect();
  auto& leaver = connected(v5, "leaver");  // session ends with the connection
  leaver.subscribe("$share/g/t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  codec::properties expiry;
  expiry.message_expiry_interval = 600;
  pub.publish("t", "job", qos::at_least_once, false, expiry);
  ASSERT_EQ(leaver.publishes().size(), 1u);  // the online member got it
  leaver.close_abruptly();                   // and leaves without acknowledging
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  keeper.connect(v5, "keeper", false, keep);
  const auto got = keeper.publishes();
  ASSERT_EQ(got.size(), 1u) << "the message was lost";
  EXPECT_EQ(got[0].props.message_expiry_interval, 600u);
}

}  // namespace
}  // namespace tern::component
