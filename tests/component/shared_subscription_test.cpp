// Shared subscriptions ($share/<group>/<filter>, [MQTT-4.8.2]): one member per group gets each
// message, round robin; groups and plain subscribers are independent.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using shared_test = broker_version_test;
TERN_BOTH_VERSIONS(shared_test);

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

}  // namespace
}  // namespace tern::component
