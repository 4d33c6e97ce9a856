// Routing through the real core: topic matching, '$' topics, ordering, overlapping
// subscriptions, UNSUBSCRIBE and SUBACK/UNSUBACK reason codes.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using routing_test = broker_version_test;
TERN_BOTH_VERSIONS(routing_test);

// Publishes one QoS 0 message on each topic and returns the topics `sub` received.
std::vector<std::string> delivered_topics(test_client& pub, test_client& sub,
                                          const std::vector<std::string>& candidates) {
  for (const auto& t : candidates) pub.publish(t, "x");
  return topics(sub.publishes());
}

TEST_P(routing_test, exact_filter_matches_only_its_topic) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  ASSERT_EQ(sub.subscribe("a/b"), std::vector{reason_code::success});
  EXPECT_EQ(delivered_topics(pub, sub, {"a/b", "a", "a/b/c", "a/bb", "A/b", "/a/b", "a/b/"}),
            std::vector<std::string>{"a/b"});
  const auto again = delivered_topics(pub, sub, {"a/b"});
  EXPECT_EQ(again, std::vector<std::string>{"a/b"});
}

TEST_P(routing_test, single_level_wildcard_matches_exactly_one_level) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("a/+/c");
  EXPECT_EQ(delivered_topics(pub, sub, {"a/b/c", "a/x/c", "a//c", "a/c", "a/b/x/c", "a/b/c/d"}),
            (std::vector<std::string>{"a/b/c", "a/x/c", "a//c"}));
}

TEST_P(routing_test, trailing_plus_does_not_match_parent) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("a/+");
  EXPECT_EQ(delivered_topics(pub, sub, {"a", "a/b", "a/", "a/b/c"}),
            (std::vector<std::string>{"a/b", "a/"}));
}

TEST_P(routing_test, multi_level_wildcard_matches_parent_and_descendants) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("a/#");
  // "a/#" also matches "a" itself [MQTT-4.7.1-2].
  EXPECT_EQ(delivered_topics(pub, sub, {"a", "a/b", "a/b/c", "ab", "b/a", "/a"}),
            (std::vector<std::string>{"a", "a/b", "a/b/c"}));
}

TEST_P(routing_test, hash_alone_matches_everything_but_dollar_topics) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("#");
  EXPECT_EQ(delivered_topics(pub, sub, {"a", "a/b", "/", "$SYS/x", "$internal", "x/$y"}),
            (std::vector<std::string>{"a", "a/b", "/", "x/$y"}));
}

TEST_P(routing_test, dollar_topics_need_an_explicit_first_level) {
  // Wildcards in the first level do not match topics starting with '$' [MQTT-4.7.2-1].
  // ($SYS/ itself is the broker's: clients cannot publish there, so another $ topic.)
  auto& hash = connected(version(), "hash");
  auto& plus = connected(version(), "plus");
  auto& sys_hash = connected(version(), "dollar-hash");
  auto& sys_plus = connected(version(), "dollar-plus");
  auto& pub = connected(version(), "pub");
  hash.subscribe("#");
  plus.subscribe("+/x");
  sys_hash.subscribe("$ops/#");
  sys_plus.subscribe("$ops/+");
  pub.publish("$ops/x", "1");
  hash.expect_nothing();
  plus.expect_nothing();
  EXPECT_EQ(topics(sys_hash.publishes()), std::vector<std::string>{"$ops/x"});
  EXPECT_EQ(topics(sys_plus.publishes()), std::vector<std::string>{"$ops/x"});
  // The same filters match a normal topic.
  pub.publish("a/x", "2");
  EXPECT_EQ(hash.publishes().size(), 1u);
  EXPECT_EQ(plus.publishes().size(), 1u);
  sys_hash.expect_nothing();
  sys_plus.expect_nothing();
}

TEST_P(routing_test, non_matching_subscribers_get_nothing) {
  auto& a = connected(version(), "a");
  auto& b = connected(version(), "b");
  auto& idle = connected(version(), "idle");
  auto& pub = connected(version(), "pub");
  a.subscribe("sensors/+/temp");
  b.subscribe("sensors/kitchen/humidity");
  pub.publish("sensors/kitchen/temp", "21");
  const auto got = a.one_publish();
  EXPECT_EQ(got.topic, "sensors/kitchen/temp");
  EXPECT_EQ(text_of(got.payload), "21");
  b.expect_nothing();
  idle.expect_nothing();
  pub.expect_nothing();  // the publisher did not subscribe
}

TEST_P(routing_test, payload_and_topic_are_delivered_unchanged) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("bin");
  std::string payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<char>(i));
  pub.publish("bin", payload);
  EXPECT_EQ(text_of(sub.one_publish().payload), payload);
  pub.publish("bin", "");
  EXPECT_TRUE(sub.one_publish().payload.empty());
}

TEST_P(routing_test, order_of_one_publishers_qos0_messages_is_kept) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("seq/#");
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back(std::to_string(i));
    pub.publish(i % 2 == 0 ? "seq/even" : "seq/odd", sent.back());
  }
  EXPECT_EQ(payloads(sub.publishes()), sent);
}

TEST_P(routing_test, order_of_one_publishers_qos1_messages_is_kept_through_the_window) {
  settings.max_inflight = 7;  // most of the 100 go through the queue
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("seq", qos::at_least_once);
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back(std::to_string(i));
    pub.publish("seq", sent.back(), qos::at_least_once);
  }
  const auto first = sub.publishes();
  EXPECT_EQ(first.size(), 7u);
  std::vector<std::string> got = payloads(first);
  for (const auto& p : first) sub.ack(p);
  for (const auto& p : sub.drain_acking()) got.push_back(text_of(p.payload));
  EXPECT_EQ(got, sent);
}

TEST_P(routing_test, overlapping_subscriptions_give_one_delivery_at_the_highest_qos) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("a/+", qos::at_most_once, is_v5() ? std::optional<std::uint32_t>(1) : std::nullopt);
  sub.subscribe("a/b", qos::exactly_once, is_v5() ? std::optional<std::uint32_t>(2) : std::nullopt);
  sub.subscribe("#", qos::at_least_once, is_v5() ? std::optional<std::uint32_t>(3) : std::nullopt);
  sub.subscribe("x/#", qos::exactly_once, is_v5() ? std::optional<std::uint32_t>(4) : std::nullopt);
  pub.publish("a/b", "m", qos::exactly_once);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.qos_level, qos::exactly_once);
  if (is_v5()) {
    // Every matching subscription's identifier, in any order [MQTT-3.3.4-5].
    EXPECT_EQ(std::multiset<std::uint32_t>(got.props.subscription_identifiers.begin(),
                                           got.props.subscription_identifiers.end()),
              (std::multiset<std::uint32_t>{1, 2, 3}));
  }
  // A topic matched by one subscription only carries that one's identifier.
  pub.publish("a/c", "n", qos::exactly_once);
  const auto second = sub.expect_one<codec::publish>();
  EXPECT_EQ(second.qos_level, qos::at_least_once);  // max('a/+' 0, '#' 1)
  if (is_v5()) {
    EXPECT_EQ(std::multiset<std::uint32_t>(second.props.subscription_identifiers.begin(),
                                           second.props.subscription_identifiers.end()),
              (std::multiset<std::uint32_t>{1, 3}));
  }
}

TEST_P(routing_test, resubscribing_replaces_the_subscription) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  EXPECT_EQ(sub.subscribe("t", qos::exactly_once), std::vector{reason_code::granted_qos_2});
  EXPECT_EQ(sub.subscribe("t", qos::at_most_once), std::vector{reason_code::success});
  pub.publish("t", "m", qos::exactly_once);
  const auto got = sub.one_publish();  // still one delivery, at the new QoS
  EXPECT_EQ(got.qos_level, qos::at_most_once);
}

TEST_P(routing_test, suback_grants_the_requested_qos) {
  auto& sub = connected(version(), "sub");
  EXPECT_EQ(
      sub.subscribe({{"q0", sub_options(qos::at_most_once)},
                     {"q1", sub_options(qos::at_least_once)},
                     {"q2", sub_options(qos::exactly_once)}}),
      (std::vector{reason_code::success, reason_code::granted_qos_1, reason_code::granted_qos_2}));
}

TEST_P(routing_test, unsubscribe_stops_delivery_but_keeps_other_subscriptions) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("a/b");
  sub.subscribe("c/#");
  pub.publish("a/b", "1");
  pub.publish("c/d", "2");
  EXPECT_EQ(sub.publishes().size(), 2u);
  const auto reasons = sub.unsubscribe({"a/b"});
  if (is_v5()) {
    EXPECT_EQ(reasons, std::vector{reason_code::success});
  } else {
    EXPECT_TRUE(reasons.empty());  // 3.1.1 UNSUBACK has no payload
  }
  pub.publish("a/b", "3");
  pub.publish("c/d", "4");
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"4"});
  sub.unsubscribe({"c/#"});
  pub.publish("c/d", "5");
  sub.expect_nothing();
}

TEST_P(routing_test, unsubscribe_of_one_client_leaves_others_subscribed) {
  auto& a = connected(version(), "a");
  auto& b = connected(version(), "b");
  auto& pub = connected(version(), "pub");
  a.subscribe("t/+");
  b.subscribe("t/+");
  a.unsubscribe({"t/+"});
  pub.publish("t/1", "x");
  a.expect_nothing();
  EXPECT_EQ(b.publishes().size(), 1u);
}

TEST_F(broker_test, v5_unsuback_reports_no_subscription_existed) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("a");
  sub.subscribe("$share/g/b");
  EXPECT_EQ(sub.unsubscribe({"a", "never", "a", "$share/g/b", "a/#/b"}),
            (std::vector{reason_code::success, reason_code::no_subscription_existed,
                         reason_code::no_subscription_existed, reason_code::success,
                         reason_code::topic_filter_invalid}));
}

TEST_P(routing_test, invalid_filter_is_refused_while_valid_ones_in_the_same_subscribe_succeed) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  const auto reasons = sub.subscribe({{"ok/1", sub_options(qos::at_least_once)},
                                      {"a/#/b", sub_options(qos::at_least_once)},
                                      {"a+", sub_options(qos::at_most_once)},
                                      {"$share/g", sub_options(qos::at_most_once)},
                                      {"ok/+", sub_options(qos::exactly_once)}});
  // 0x8F Topic Filter invalid in MQTT 5; 0x80 Failure in 3.1.1 (decoded as unspecified_error).
  const auto bad = is_v5() ? reason_code::topic_filter_invalid : reason_code::unspecified_error;
  EXPECT_EQ(reasons,
            (std::vector{reason_code::granted_qos_1, bad, bad, bad, reason_code::granted_qos_2}));
  EXPECT_FALSE(sub.closed());
  pub.publish("ok/1", "m", qos::exactly_once);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.qos_level, qos::exactly_once);
  // Nothing was subscribed under the invalid filters.
  pub.publish("a/x/b", "n");
  pub.publish("ok/2", "n", qos::at_most_once);
  EXPECT_EQ(sub.one_publish().topic, "ok/2");  // the valid wildcard filter works
  pub.publish("a/x/b", "n");
  sub.expect_nothing();
}

TEST_F(broker_test, v311_suback_failure_is_0x80_on_the_wire) {
  auto& sub = connected(v311, "sub");
  codec::subscribe s;
  s.packet_id = 77;
  s.subscriptions = {{"a/#/b", sub_options(qos::at_most_once)},
                     {"ok", sub_options(qos::at_least_once)}};
  sub.send(s);
  const auto bytes = sub.session().take_output();
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0x90, 0x04, 0x00, 77, 0x80, 0x01}));
}

TEST_P(routing_test, publisher_gets_its_own_message_when_subscribed) {
  auto& c = connected(version(), "self");
  c.subscribe("echo");
  c.publish("echo", "me");
  EXPECT_EQ(text_of(c.one_publish().payload), "me");
}

TEST_P(routing_test, messages_cross_protocol_levels) {
  auto& old_sub = connected(v311, "old");
  auto& new_sub = connected(v5, "new");
  auto& pub = connected(version(), "pub");
  old_sub.subscribe("t", qos::at_least_once);
  new_sub.subscribe("t", qos::at_least_once);
  pub.publish("t", "hello", qos::at_least_once);
  EXPECT_EQ(text_of(old_sub.one_publish().payload), "hello");
  EXPECT_EQ(text_of(new_sub.one_publish().payload), "hello");
}

TEST_P(routing_test, plus_alone_matches_one_level_topics_only) {
  auto& sub = connected(version(), "sub");
  auto& pub = connected(version(), "pub");
  sub.subscribe("+");
  EXPECT_EQ(delivered_topics(pub, sub, {"a", "a/b", "/", "$SYS"}), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace tern::component
