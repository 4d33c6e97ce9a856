// MQTT 5 features end to end: topic aliases, subscription identifiers, No Local, message
// expiry, payload format, forwarded properties, Maximum Packet Size, assigned client
// identifiers, Server Keep Alive.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using mqtt5_test = broker_test;

codec::publish make_publish(std::string topic, std::string_view payload,
                            qos level = qos::at_most_once, std::uint16_t id = 0) {
  codec::publish p;
  p.topic = std::move(topic);
  p.payload = bytes_of(payload);
  p.qos_level = level;
  p.packet_id = id;
  return p;
}

// ---- topic aliases ---------------------------------------------------------------------------

TEST_F(mqtt5_test, connack_announces_topic_alias_maximum) {
  settings.topic_alias_maximum = 5;
  auto& c = client();
  EXPECT_EQ(c.connect(v5, "c").props.topic_alias_maximum, 5);
}

TEST_F(mqtt5_test, inbound_topic_alias_is_defined_then_used_with_an_empty_topic) {
  auto& sub = connected(v5, "sub");
  auto& pub = connected(v5, "pub");
  sub.subscribe("#");
  auto define = make_publish("long/topic/name", "1");
  define.props.topic_alias = 3;
  pub.send(define);
  auto use = make_publish("", "2");
  use.props.topic_alias = 3;
  pub.send(use);
  // Redefine the alias.
  auto redefine = make_publish("other", "3");
  redefine.props.topic_alias = 3;
  pub.send(redefine);
  pub.send(use);
  EXPECT_FALSE(pub.closed());
  const auto got = sub.publishes();
  EXPECT_EQ(topics(got),
            (std::vector<std::string>{"long/topic/name", "long/topic/name", "other", "other"}));
  for (const auto& m : got) EXPECT_FALSE(m.props.topic_alias.has_value());  // not forwarded
}

TEST_F(mqtt5_test, topic_aliases_are_per_connection) {
  auto& sub = connected(v5, "sub");
  auto& a = connected(v5, "a");
  auto& b = connected(v5, "b");
  sub.subscribe("#");
  auto define = make_publish("from/a", "1");
  define.props.topic_alias = 1;
  a.send(define);
  auto use = make_publish("", "2");
  use.props.topic_alias = 1;
  b.send(use);  // b never defined alias 1
  EXPECT_TRUE(b.closed());
  EXPECT_EQ(b.expect_one<codec::disconnect>().reason, reason_code::protocol_error);
  EXPECT_EQ(topics(sub.publishes()), std::vector<std::string>{"from/a"});
}

TEST_F(mqtt5_test, topic_alias_zero_is_invalid) {
  auto& pub = connected(v5, "pub");
  auto p = make_publish("t", "x");
  p.props.topic_alias = 0;
  pub.send(p);
  EXPECT_TRUE(pub.closed());
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::topic_alias_invalid);
}

TEST_F(mqtt5_test, topic_alias_above_the_maximum_is_invalid) {
  settings.topic_alias_maximum = 4;
  auto& sub = connected(v5, "sub");
  sub.subscribe("#");
  auto& pub = connected(v5, "pub");
  auto ok = make_publish("t", "x");
  ok.props.topic_alias = 4;
  pub.send(ok);
  EXPECT_FALSE(pub.closed());
  auto bad = make_publish("t", "y");
  bad.props.topic_alias = 5;
  pub.send(bad);
  EXPECT_TRUE(pub.closed());
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::topic_alias_invalid);
  EXPECT_EQ(payloads(sub.publishes()), std::vector<std::string>{"x"});
}

TEST_F(mqtt5_test, topic_alias_when_aliases_are_disabled_is_invalid) {
  settings.topic_alias_maximum = 0;
  auto& pub = client();
  EXPECT_FALSE(pub.connect(v5, "pub").props.topic_alias_maximum.has_value());
  auto p = make_publish("t", "x");
  p.props.topic_alias = 1;
  pub.send(p);
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::topic_alias_invalid);
}

TEST_F(mqtt5_test, unknown_topic_alias_is_a_protocol_error) {
  auto& pub = connected(v5, "pub");
  auto p = make_publish("", "x");
  p.props.topic_alias = 2;
  pub.send(p);
  EXPECT_TRUE(pub.closed());
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::protocol_error);
}

// ---- subscription identifiers ----------------------------------------------------------------

TEST_F(mqtt5_test, subscription_identifier_from_a_client_publish_is_a_protocol_error) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("t");
  auto& pub = connected(v5, "pub");
  auto p = make_publish("t", "x");
  p.props.subscription_identifiers = {5};
  pub.send(p);
  EXPECT_TRUE(pub.closed());
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::protocol_error);
  sub.expect_nothing();
}

TEST_F(mqtt5_test, subscription_identifier_is_sent_with_matching_messages_and_can_change) {
  auto& sub = connected(v5, "sub");
  auto& pub = connected(v5, "pub");
  sub.subscribe("a/+", qos::at_most_once, 268'435'455);  // the largest identifier
  pub.publish("a/b", "1");
  EXPECT_EQ(sub.one_publish().props.subscription_identifiers,
            std::vector<std::uint32_t>{268'435'455});
  sub.subscribe("a/+", qos::at_most_once, 9);
  pub.publish("a/b", "2");
  EXPECT_EQ(sub.one_publish().props.subscription_identifiers, std::vector<std::uint32_t>{9});
  sub.subscribe("a/+", qos::at_most_once);  // replaced without an identifier
  pub.publish("a/b", "3");
  EXPECT_TRUE(sub.one_publish().props.subscription_identifiers.empty());
}

// ---- No Local --------------------------------------------------------------------------------

TEST_F(mqtt5_test, no_local_suppresses_only_the_publishers_own_messages) {
  auto& self = connected(v5, "self");
  auto& other = connected(v5, "other");
  self.subscribe("t", sub_options(qos::at_least_once, true));
  other.subscribe("t", sub_options(qos::at_least_once, false));
  self.publish("t", "mine", qos::at_least_once);
  EXPECT_EQ(self.expect_one<codec::puback>().reason, reason_code::success);  // no PUBLISH back
  EXPECT_EQ(payloads(other.publishes()), std::vector<std::string>{"mine"});
  other.publish("t", "theirs");
  EXPECT_EQ(payloads(self.publishes()), std::vector<std::string>{"theirs"});
}

TEST_F(mqtt5_test, no_local_on_one_subscription_does_not_hide_another_match) {
  auto& self = connected(v5, "self");
  self.subscribe("t", sub_options(qos::at_most_once, true));
  self.subscribe("#", sub_options(qos::at_most_once, false));
  self.publish("t", "mine");
  EXPECT_EQ(payloads(self.publishes()), std::vector<std::string>{"mine"});
}

// ---- message expiry --------------------------------------------------------------------------

TEST_F(mqtt5_test, message_expiry_is_forwarded_with_the_remaining_time) {
  auto& sub = connected(v5, "sub", false, [] {
    codec::properties p;
    p.session_expiry_interval = 3600;
    return p;
  }());
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.message_expiry_interval = 30;
  pub.publish("t", "live", qos::at_least_once, false, props);
  const auto live = sub.one_publish();
  EXPECT_EQ(live.props.message_expiry_interval, 30u);
  sub.ack(live);

  sub.disconnect();
  pub.publish("t", "queued", qos::at_least_once, false, props);
  pub.publish("t", "no expiry", qos::at_least_once);
  advance(12s);
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  sub.connect(v5, "sub", false, keep);
  const auto got = sub.publishes();
  ASSERT_EQ(payloads(got), (std::vector<std::string>{"queued", "no expiry"}));
  EXPECT_EQ(got[0].props.message_expiry_interval, 18u);  // 30 - 12 [MQTT-3.3.2-6]
  EXPECT_FALSE(got[1].props.message_expiry_interval.has_value());
}

TEST_F(mqtt5_test, expired_queued_messages_are_dropped_on_reconnect) {
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  auto& sub = connected(v5, "sub", false, keep);
  sub.subscribe("t", qos::at_least_once);
  sub.disconnect();
  auto& pub = connected(v5, "pub");
  codec::properties short_lived;
  short_lived.message_expiry_interval = 5;
  codec::properties long_lived;
  long_lived.message_expiry_interval = 50;
  pub.publish("t", "1", qos::at_least_once, false, short_lived);
  pub.publish("t", "2", qos::at_least_once, false, long_lived);
  pub.publish("t", "3", qos::at_least_once, false, short_lived);
  advance(5s);
  sub.connect(v5, "sub", false, keep);
  const auto got = sub.publishes();
  EXPECT_EQ(payloads(got), std::vector<std::string>{"2"});  // [MQTT-3.3.2-5]
}

TEST_F(mqtt5_test, expired_messages_waiting_behind_the_window_are_dropped) {
  settings.max_inflight = 1;
  auto& sub = connected(v5, "sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  codec::properties short_lived;
  short_lived.message_expiry_interval = 2;
  pub.publish("t", "first", qos::at_least_once);
  pub.publish("t", "expires", qos::at_least_once, false, short_lived);
  pub.publish("t", "last", qos::at_least_once);
  const auto first = sub.one_publish();
  advance(3s);
  sub.ack(first);
  EXPECT_EQ(payloads(sub.drain_acking()), std::vector<std::string>{"last"});
}

// ---- payload format --------------------------------------------------------------------------

TEST_F(mqtt5_test, invalid_utf8_payload_with_format_indicator_qos1_gets_puback_0x99) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.payload_format_indicator = 1;
  const auto id = pub.publish("t", "\xff\xfe bad", qos::at_least_once, false, props);
  const auto ack = pub.expect_one<codec::puback>();
  EXPECT_EQ(ack.packet_id, id);
  EXPECT_EQ(ack.reason, reason_code::payload_format_invalid);
  EXPECT_FALSE(pub.closed());
  sub.expect_nothing();  // not routed
}

TEST_F(mqtt5_test, invalid_utf8_payload_with_format_indicator_qos2_gets_pubrec_0x99) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("t", qos::exactly_once);
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.payload_format_indicator = 1;
  const auto id = pub.publish("t", "\xc0\x80", qos::exactly_once, false, props);  // overlong NUL
  const auto rec = pub.expect_one<codec::pubrec>();
  EXPECT_EQ(rec.packet_id, id);
  EXPECT_EQ(rec.reason, reason_code::payload_format_invalid);
  sub.expect_nothing();
}

TEST_F(mqtt5_test, invalid_utf8_payload_with_format_indicator_qos0_disconnects_0x99) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("t");
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.payload_format_indicator = 1;
  pub.publish("t", "\xed\xa0\x80", qos::at_most_once, false, props);  // a surrogate
  EXPECT_TRUE(pub.closed());
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::payload_format_invalid);
  sub.expect_nothing();
}

TEST_F(mqtt5_test, valid_utf8_payload_with_format_indicator_is_routed_with_it) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.payload_format_indicator = 1;
  pub.publish("t", "h\xc3\xa9llo", qos::at_least_once, false, props);
  EXPECT_EQ(pub.expect_one<codec::puback>().reason, reason_code::success);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.props.payload_format_indicator, 1);
  // Indicator 0 (binary): anything goes.
  props.payload_format_indicator = 0;
  pub.publish("t", "\xff", qos::at_least_once, false, props);
  EXPECT_EQ(pub.expect_one<codec::puback>().reason, reason_code::success);
  EXPECT_EQ(sub.one_publish().props.payload_format_indicator, 0);
}

// ---- forwarded properties ---------------------------------------------------------------------

TEST_F(mqtt5_test, user_properties_are_forwarded_in_order) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("t");
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.user_properties = {{"z", "1"}, {"a", "2"}, {"z", "3"}, {"m", ""}, {"", "empty key"}};
  pub.publish("t", "x", qos::at_most_once, false, props);
  EXPECT_EQ(sub.one_publish().props.user_properties, props.user_properties);  // [MQTT-3.3.2-18]
}

TEST_F(mqtt5_test, request_response_properties_are_forwarded) {
  auto& sub = connected(v5, "sub");
  sub.subscribe("req", qos::exactly_once);
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.response_topic = "resp/client-7";
  props.correlation_data = codec::binary{0x00, 0x01, 0xFF};
  props.content_type = "application/cbor";
  pub.publish("req", "x", qos::exactly_once, false, props);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.props.response_topic, "resp/client-7");
  EXPECT_EQ(got.props.correlation_data, (codec::binary{0x00, 0x01, 0xFF}));
  EXPECT_EQ(got.props.content_type, "application/cbor");
}

TEST_F(mqtt5_test, v311_subscriber_gets_no_properties) {
  auto& sub = connected(v311, "old");
  sub.subscribe("t", qos::at_least_once, std::nullopt);
  auto& pub = connected(v5, "pub");
  codec::properties props;
  props.user_properties = {{"k", "v"}};
  props.message_expiry_interval = 10;
  pub.publish("t", "x", qos::at_least_once, false, props);
  const auto got = sub.one_publish();
  EXPECT_EQ(got.props, codec::properties{});
  EXPECT_EQ(text_of(got.payload), "x");
}

// ---- Maximum Packet Size ---------------------------------------------------------------------

TEST_F(mqtt5_test, messages_larger_than_the_client_maximum_packet_size_are_not_sent) {
  codec::properties limit;
  limit.maximum_packet_size = 64;
  auto& sub = connected(v5, "sub", true, limit);
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  pub.publish("t", std::string(100, 'x'), qos::at_least_once);
  sub.expect_nothing();  // discarded as if delivered [MQTT-3.1.2-24, MQTT-3.1.2-25]
  pub.publish("t", "small", qos::at_least_once);
  const auto got = sub.one_publish();
  EXPECT_EQ(text_of(got.payload), "small");
  EXPECT_TRUE(sub.session().persistent()->inflight.size() == 1);  // only the small one
  sub.ack(got);
  // QoS 0 too.
  pub.publish("t", std::string(100, 'y'), qos::at_most_once);
  sub.expect_nothing();
}

TEST_F(mqtt5_test, oversized_messages_do_not_block_the_window) {
  settings.max_inflight = 1;
  codec::properties limit;
  limit.maximum_packet_size = 64;
  auto& sub = connected(v5, "sub", true, limit);
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  pub.publish("t", "a", qos::at_least_once);
  pub.publish("t", std::string(200, 'x'), qos::at_least_once);
  pub.publish("t", "b", qos::at_least_once);
  EXPECT_EQ(payloads(sub.drain_acking()), (std::vector<std::string>{"a", "b"}));
}

// ---- client identifiers and keep-alive --------------------------------------------------------

TEST_F(mqtt5_test, empty_client_id_gets_an_assigned_identifier) {
  auto& a = client();
  const auto ack_a = a.connect(v5, "");
  ASSERT_TRUE(ack_a.props.assigned_client_identifier.has_value());
  EXPECT_FALSE(ack_a.props.assigned_client_identifier->empty());
  EXPECT_EQ(a.session().client_id(), *ack_a.props.assigned_client_identifier);
  auto& b = client();
  const auto ack_b = b.connect(v5, "");
  ASSERT_TRUE(ack_b.props.assigned_client_identifier.has_value());
  EXPECT_NE(*ack_a.props.assigned_client_identifier, *ack_b.props.assigned_client_identifier);
  EXPECT_FALSE(a.closed());  // no takeover between the two
  // Routing works for a client with an assigned identifier.
  a.subscribe("t");
  b.publish("t", "x");
  EXPECT_EQ(a.publishes().size(), 1u);
}

TEST_F(mqtt5_test, given_client_id_gets_no_assigned_identifier) {
  auto& a = client();
  EXPECT_FALSE(a.connect(v5, "mine").props.assigned_client_identifier.has_value());
}

TEST_F(mqtt5_test, assigned_identifier_session_can_be_resumed) {
  codec::properties keep;
  keep.session_expiry_interval = 60;
  auto& a = client();
  const auto id = a.connect(v5, "", false, keep).props.assigned_client_identifier.value_or("");
  ASSERT_FALSE(id.empty());
  a.subscribe("t", qos::at_least_once);
  a.disconnect();
  EXPECT_TRUE(a.connect(v5, id, false, keep).session_present);
}

TEST_F(mqtt5_test, server_keep_alive_is_announced_and_enforced) {
  settings.max_keep_alive = 20;
  auto& c = client();
  auto con = make_connect(v5, "c");
  con.keep_alive = 300;
  const auto ack = c.connect(con);
  EXPECT_EQ(ack.props.server_keep_alive, 20);
  advance(29s);
  EXPECT_FALSE(c.closed());
  advance(1s);  // 1.5 x 20 s, not 1.5 x 300 s
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.expect_one<codec::disconnect>().reason, reason_code::keep_alive_timeout);
}

TEST_F(mqtt5_test, server_keep_alive_is_not_sent_when_the_client_value_is_kept) {
  settings.max_keep_alive = 20;
  auto& c = client();
  auto con = make_connect(v5, "c");
  con.keep_alive = 10;
  EXPECT_FALSE(c.connect(con).props.server_keep_alive.has_value());
}

TEST_F(mqtt5_test, topic_aliases_do_not_survive_the_connection) {
  // [MQTT-3.3.2-7]
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  auto& pub = connected(v5, "pub", false, keep);
  auto define = make_publish("t", "1");
  define.props.topic_alias = 1;
  pub.send(define);
  pub.disconnect();
  EXPECT_TRUE(pub.connect(v5, "pub", false, keep).session_present);
  auto use = make_publish("", "2");
  use.props.topic_alias = 1;
  pub.send(use);
  EXPECT_TRUE(pub.closed());
  EXPECT_EQ(pub.expect_one<codec::disconnect>().reason, reason_code::protocol_error);
}

TEST_F(mqtt5_test, no_local_on_a_shared_subscription_is_a_protocol_error) {
  auto& c = connected(v5, "c");
  codec::subscribe s;
  s.packet_id = 1;
  s.subscriptions = {{"$share/g/t", sub_options(qos::at_most_once, true)}};
  c.send(s);  // [MQTT-3.8.3-4]
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.expect_one<codec::disconnect>().reason, reason_code::protocol_error);
}

TEST_F(mqtt5_test, maximum_packet_size_boundary_is_inclusive) {
  // A QoS 0 PUBLISH to "t" without properties is 2 + 2 + 1 + 1 + payload bytes.
  codec::properties limit;
  limit.maximum_packet_size = 64;
  auto& sub = connected(v5, "sub", true, limit);
  sub.subscribe("t");
  auto& pub = connected(v5, "pub");
  pub.publish("t", std::string(58, 'a'));  // exactly 64
  pub.publish("t", std::string(59, 'b'));  // 65
  const auto got = sub.publishes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload.size(), 58u);
}

TEST_F(mqtt5_test, v311_empty_client_id_with_clean_session_gets_a_private_session) {
  auto& a = client();
  EXPECT_EQ(a.connect(v311, "").reason, reason_code::success);
  auto& b = client();
  EXPECT_EQ(b.connect(v311, "").reason, reason_code::success);
  EXPECT_FALSE(a.closed());  // no takeover between the two
  EXPECT_NE(a.session().client_id(), b.session().client_id());
}

// ---- outbound topic aliases ----------------------------------------------------------------

codec::properties alias_max(std::uint16_t n) {
  codec::properties p;
  p.topic_alias_maximum = n;
  return p;
}

TEST_F(mqtt5_test, outbound_topic_aliases_stay_within_the_client_maximum) {
  auto& sub = connected(v5, "sub", true, alias_max(2));
  sub.resolve_topic_aliases(false);
  sub.subscribe("#");
  auto& pub = connected(v5, "pub");
  for (const char* t : {"a", "a", "b", "c", "a", "b", "c"}) pub.publish(t, t);
  const auto got = sub.publishes();
  ASSERT_EQ(got.size(), 7u);
  struct wire {
    std::string topic;
    std::optional<std::uint16_t> alias;
    bool operator==(const wire&) const = default;
  };
  std::vector<wire> seen;
  for (const auto& p : got) seen.push_back({p.topic, p.props.topic_alias});
  const std::vector<wire> expected{{"a", 1}, {"", 1}, {"b", 2},           {"c", std::nullopt},
                                   {"", 1},  {"", 2}, {"c", std::nullopt}};
  EXPECT_TRUE(seen == expected);
  // Resolved as a client would, the payloads still match their topics.
  for (const auto& p : got) {
    if (!p.topic.empty()) {
      EXPECT_EQ(text_of(p.payload), p.topic);
    }
  }
}

TEST_F(mqtt5_test, no_outbound_aliases_unless_the_client_allows_them) {
  auto& plain = connected(v5, "plain");
  auto& old = connected(v311, "old");
  plain.subscribe("t");
  old.subscribe("t");
  auto& pub = connected(v5, "pub");
  pub.publish("t", "1");
  pub.publish("t", "2");
  for (const auto& p : plain.publishes()) {
    EXPECT_EQ(p.topic, "t");
    EXPECT_FALSE(p.props.topic_alias.has_value());
  }
  EXPECT_EQ(topics(old.publishes()), (std::vector<std::string>{"t", "t"}));
}

TEST_F(mqtt5_test, outbound_aliases_start_afresh_on_a_new_connection) {
  codec::properties props = alias_max(4);
  props.session_expiry_interval = 3600;
  auto& sub = connected(v5, "sub", false, props);
  sub.resolve_topic_aliases(false);
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  pub.publish("t", "1", qos::at_least_once);
  pub.publish("t", "2", qos::at_least_once);
  const auto before = sub.publishes();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[1].topic, "");  // alias only
  sub.close_abruptly();
  sub.connect(v5, "sub", false, props);
  sub.resolve_topic_aliases(false);
  // Both resent: the first must name the topic again, the alias map being per connection.
  const auto after = sub.publishes();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].topic, "t");
  EXPECT_TRUE(after[0].dup);
}

TEST_F(mqtt5_test, dropped_oversized_publish_does_not_define_an_alias) {
  codec::properties props = alias_max(4);
  props.maximum_packet_size = 64;
  auto& sub = connected(v5, "sub", true, props);
  sub.resolve_topic_aliases(false);
  sub.subscribe("t");
  auto& pub = connected(v5, "pub");
  pub.publish("t", std::string(100, 'x'));  // too large: never sent
  pub.publish("t", "small");
  const auto got = sub.one_publish();
  EXPECT_EQ(got.topic, "t");  // the alias was not defined on the wire
}

// ---- redirection ------------------------------------------------------------------------------

TEST_F(mqtt5_test, redirect_tells_v5_clients_where_to_go) {
  settings.server_reference = "other.example:1883";
  auto& c = client();
  const auto ack = c.connect(v5, "c");
  EXPECT_EQ(ack.reason, reason_code::use_another_server);
  EXPECT_EQ(ack.props.server_reference, "other.example:1883");
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(core().session_count(), 0u);
}

TEST_F(mqtt5_test, permanent_redirect_is_server_moved) {
  settings.server_reference = "new.example";
  settings.server_moved = true;
  auto& c = client();
  EXPECT_EQ(c.connect(v5, "c").reason, reason_code::server_moved);
}

TEST_F(mqtt5_test, redirect_gives_v311_clients_server_unavailable) {
  settings.server_reference = "other.example";
  auto& c = client();
  const auto ack = c.connect(v311, "c");
  EXPECT_EQ(ack.reason, reason_code::server_unavailable);
  EXPECT_TRUE(c.closed());
}

TEST_F(mqtt5_test, keep_alive_zero_gets_the_server_maximum) {
  settings.max_keep_alive = 10;
  auto& c = client();
  const auto ack = c.connect(make_connect(v5, "c"));  // keep-alive 0: "no limit" asked for
  EXPECT_EQ(ack.props.server_keep_alive, 10);
  advance(14s);
  EXPECT_FALSE(c.closed());
  advance(1s);
  EXPECT_TRUE(c.closed());
}

}  // namespace
}  // namespace tern::component

namespace tern::component {
namespace {

TEST_F(broker_test, v5_resume_respects_a_smaller_receive_maximum) {
  codec::properties props;
  props.session_expiry_interval = 3600;
  auto& sub = connected(v5, "sub", false, props);
  sub.subscribe("t", qos::at_least_once);
  auto& pub = connected(v5, "pub");
  for (int i = 0; i < 5; ++i) pub.publish("t", std::to_string(i), qos::at_least_once);
  const auto first = sub.publishes();
  ASSERT_EQ(first.size(), 5u);
  sub.close_abruptly();

  props.receive_maximum = 2;  // the client now accepts fewer unacknowledged messages
  EXPECT_TRUE(sub.connect(v5, "sub", false, props).session_present);
  auto resent = sub.publishes();
  ASSERT_EQ(resent.size(), 2u);  // [MQTT-3.3.4-9]
  EXPECT_TRUE(resent[0].dup);
  EXPECT_EQ(resent[0].packet_id, first[0].packet_id);
  sub.puback(resent[0].packet_id);
  const auto next = sub.publishes();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_TRUE(next[0].dup);
  EXPECT_EQ(next[0].packet_id, first[2].packet_id);  // its original identifier
}

}  // namespace
}  // namespace tern::component
