// Retained messages: storage, replacement, deletion, delivery on subscribe through wildcards,
// Retain Handling, Retain As Published, expiry, shared subscriptions.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using retained_test = broker_version_test;
TERN_BOTH_VERSIONS(retained_test);

std::multiset<std::string> topic_set(const std::vector<codec::publish>& messages) {
  std::multiset<std::string> out;
  for (const auto& m : messages) out.insert(m.topic);
  return out;
}

TEST_P(retained_test, retained_message_is_sent_to_new_subscribers_with_retain_set) {
  auto& pub = connected(version(), "pub");
  auto& live = connected(version(), "live");
  live.subscribe("r/1", qos::at_least_once);
  pub.publish("r/1", "v1", qos::at_least_once, true);
  // A live subscriber sees RETAIN 0 [MQTT-3.3.1-12 / 3.1.1: MQTT-3.3.1-9].
  const auto now_live = live.one_publish();
  EXPECT_FALSE(now_live.retain);
  EXPECT_EQ(shared().retained.size(), 1u);

  auto& late = connected(version(), "late");
  late.subscribe("r/1", qos::at_least_once);
  const auto got = late.one_publish();
  EXPECT_EQ(got.topic, "r/1");
  EXPECT_EQ(text_of(got.payload), "v1");
  EXPECT_TRUE(got.retain);
  EXPECT_EQ(got.qos_level, qos::at_least_once);
  EXPECT_NE(got.packet_id, 0u);
}

TEST_P(retained_test, retained_messages_are_found_through_wildcards) {
  auto& pub = connected(version(), "pub");
  for (const char* t : {"a", "a/b", "a/c/d", "b/x", "$ops/x", "/x"})
    pub.publish(t, t, qos::at_most_once, true);
  struct probe {
    const char* filter;
    std::multiset<std::string> expected;
  };
  const probe probes[] = {
      {"#", {"a", "a/b", "a/c/d", "b/x", "/x"}},
      {"a/#", {"a", "a/b", "a/c/d"}},
      {"a/+", {"a/b"}},
      {"+/x", {"b/x", "/x"}},
      {"+/+/d", {"a/c/d"}},
      {"$ops/#", {"$ops/x"}},
      {"$ops/+", {"$ops/x"}},
      {"+/#", {"a", "a/b", "a/c/d", "b/x", "/x"}},
      {"a/b/c", {}},
  };
  int n = 0;
  for (const auto& p : probes) {
    auto& sub = connected(version(), "sub" + std::to_string(n++));
    sub.subscribe(p.filter);
    const auto got = sub.publishes();
    EXPECT_EQ(topic_set(got), p.expected) << "filter " << p.filter;
    for (const auto& m : got) EXPECT_TRUE(m.retain);
  }
}

TEST_P(retained_test, newer_retained_message_replaces_the_older) {
  auto& pub = connected(version(), "pub");
  pub.publish("r", "v1", qos::at_most_once, true);
  pub.publish("r", "v2", qos::at_most_once, true);
  pub.publish("r", "not retained", qos::at_most_once, false);  // leaves the retained one alone
  auto& sub = connected(version(), "sub");
  sub.subscribe("r");
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"v2"});
  EXPECT_EQ(shared().retained.size(), 1u);
}

TEST_P(retained_test, empty_retained_payload_deletes_and_is_still_forwarded) {
  auto& pub = connected(version(), "pub");
  auto& live = connected(version(), "live");
  live.subscribe("r/#");
  pub.publish("r/a", "v1", qos::at_most_once, true);
  pub.publish("r/b", "keep", qos::at_most_once, true);
  EXPECT_EQ(live.publishes().size(), 2u);
  pub.publish("r/a", "", qos::at_most_once, true);
  // Delivered to current subscribers like any message [MQTT-3.3.1-6 / 3.1.1: MQTT-3.3.1-10].
  const auto forwarded = live.one_publish();
  EXPECT_EQ(forwarded.topic, "r/a");
  EXPECT_TRUE(forwarded.payload.empty());
  EXPECT_EQ(shared().retained.size(), 1u);
  auto& late = connected(version(), "late");
  late.subscribe("r/#");
  EXPECT_EQ(topics(late.publishes()), std::vector<std::string>{"r/b"});
  // Deleting what is not there is harmless.
  pub.publish("r/none", "", qos::at_most_once, true);
  EXPECT_EQ(shared().retained.size(), 1u);
}

TEST_P(retained_test, retained_delivery_qos_is_capped_by_the_subscription) {
  auto& pub = connected(version(), "pub");
  pub.publish("r", "v", qos::exactly_once, true);
  auto& s0 = connected(version(), "s0");
  auto& s1 = connected(version(), "s1");
  auto& s2 = connected(version(), "s2");
  s0.subscribe("r", qos::at_most_once);
  s1.subscribe("r", qos::at_least_once);
  s2.subscribe("r", qos::exactly_once);
  EXPECT_EQ(s0.one_publish().qos_level, qos::at_most_once);
  EXPECT_EQ(s1.one_publish().qos_level, qos::at_least_once);
  EXPECT_EQ(s2.one_publish().qos_level, qos::exactly_once);
}

TEST_P(retained_test, resubscribing_sends_retained_again_by_default) {
  auto& pub = connected(version(), "pub");
  pub.publish("r", "v", qos::at_most_once, true);
  auto& sub = connected(version(), "sub");
  sub.subscribe("r");
  EXPECT_EQ(sub.publishes().size(), 1u);
  sub.subscribe("r");  // Retain Handling 0 (and 3.1.1): on every SUBSCRIBE [MQTT-3.3.1-9]
  EXPECT_EQ(sub.publishes().size(), 1u);
}

TEST_P(retained_test, no_retained_messages_for_shared_subscriptions) {
  auto& pub = connected(version(), "pub");
  pub.publish("r", "v", qos::at_most_once, true);
  auto& sub = connected(version(), "sub");
  EXPECT_EQ(sub.subscribe("$share/g/r"), std::vector{reason_code::success});
  sub.expect_nothing();
  pub.publish("r", "live", qos::at_most_once, true);
  const auto got = sub.one_publish();
  EXPECT_EQ(text_of(got.payload), "live");
}

TEST_F(broker_test, v5_retain_handling_controls_delivery_on_subscribe) {
  auto& pub = connected(v5, "pub");
  pub.publish("r", "v", qos::at_most_once, true);
  auto& sub = connected(v5, "sub");
  using rh = codec::retain_handling;

  // 1: only when the subscription did not exist [MQTT-3.3.1-10].
  sub.subscribe("r", sub_options(qos::at_most_once, false, false, rh::send_if_new_subscription));
  EXPECT_EQ(sub.publishes().size(), 1u);
  sub.subscribe("r", sub_options(qos::at_most_once, false, false, rh::send_if_new_subscription));
  sub.expect_nothing();
  sub.unsubscribe({"r"});
  sub.subscribe("r", sub_options(qos::at_most_once, false, false, rh::send_if_new_subscription));
  EXPECT_EQ(sub.publishes().size(), 1u);

  // 0: on every subscribe [MQTT-3.3.1-9].
  sub.subscribe("r", sub_options(qos::at_most_once, false, false, rh::send_on_subscribe));
  EXPECT_EQ(sub.publishes().size(), 1u);

  // 2: never [MQTT-3.3.1-11].
  auto& other = connected(v5, "other");
  other.subscribe("r", sub_options(qos::at_most_once, false, false, rh::do_not_send));
  other.expect_nothing();
  other.subscribe("#", sub_options(qos::at_most_once, false, false, rh::do_not_send));
  other.expect_nothing();
}

TEST_F(broker_test, v5_retain_as_published_keeps_the_flag_on_live_delivery) {
  auto& keep = connected(v5, "keep");
  auto& plain = connected(v5, "plain");
  auto& pub = connected(v5, "pub");
  keep.subscribe("r", sub_options(qos::at_most_once, false, true));
  plain.subscribe("r", sub_options(qos::at_most_once, false, false));
  pub.publish("r", "retained", qos::at_most_once, true);
  pub.publish("r", "ordinary", qos::at_most_once, false);
  const auto k = keep.publishes();
  const auto p = plain.publishes();
  ASSERT_EQ(k.size(), 2u);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_TRUE(k[0].retain);  // [MQTT-3.3.1-13]
  EXPECT_FALSE(k[1].retain);
  EXPECT_FALSE(p[0].retain);  // [MQTT-3.3.1-12]
  EXPECT_FALSE(p[1].retain);
}

TEST_F(broker_test, v5_retained_message_expires) {
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.message_expiry_interval = 10;
  pub.publish("r", "short-lived", qos::at_least_once, true, props);
  advance(4s);
  auto& early = connected(v5, "early");
  early.subscribe("r", qos::at_least_once);
  const auto got = early.one_publish();
  EXPECT_TRUE(got.retain);
  // The remaining lifetime is forwarded [MQTT-3.3.2-6].
  EXPECT_EQ(got.props.message_expiry_interval, 6u);
  advance(6s);
  auto& late = connected(v5, "late");
  late.subscribe("r", qos::at_least_once);
  late.expect_nothing();
}

TEST_F(broker_test, v5_retained_message_carries_the_subscription_identifier) {
  auto& pub = connected(v5, "pub");
  pub.publish("r", "v", qos::at_most_once, true);
  auto& sub = connected(v5, "sub");
  sub.subscribe("r", qos::at_most_once, 17);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.props.subscription_identifiers, std::vector<std::uint32_t>{17});
}

TEST_F(broker_test, v5_retained_message_keeps_its_properties) {
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.content_type = "text/plain";
  props.user_properties = {{"k", "v"}};
  props.payload_format_indicator = 1;
  pub.publish("r", "v", qos::at_most_once, true, props);
  auto& sub = connected(v5, "sub");
  sub.subscribe("r");
  const auto got = sub.one_publish();
  EXPECT_EQ(got.props.content_type, "text/plain");
  EXPECT_EQ(got.props.user_properties, (std::vector<codec::string_pair>{{"k", "v"}}));
  EXPECT_EQ(got.props.payload_format_indicator, 1);
}

TEST_P(retained_test, deleting_one_topic_keeps_its_neighbours) {
  auto& pub = connected(version(), "pub");
  pub.publish("a", "parent", qos::at_most_once, true);
  pub.publish("a/b", "child", qos::at_most_once, true);
  pub.publish("a/b/c", "grandchild", qos::at_most_once, true);
  pub.publish("a", "", qos::at_most_once, true);
  pub.publish("a/b/c", "", qos::at_most_once, true);
  auto& sub = connected(version(), "sub");
  sub.subscribe("#");
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"child"});
  EXPECT_EQ(shared().retained.size(), 1u);
}

}  // namespace
}  // namespace tern::component
