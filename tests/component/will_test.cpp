// Will messages: when they are published, when not, Will Delay Interval against reconnection
// and session expiry, will QoS and retain.

#include "broker_harness.hpp"

namespace tern::component {
namespace {

using will_test = broker_version_test;
TERN_BOTH_VERSIONS(will_test);

class will_fixture {
 public:
  static codec::connect with_will(protocol_version version, std::string id,
                                  codec::will_message will, bool clean_start = true,
                                  std::uint32_t session_expiry = 0, std::uint16_t keep_alive = 0) {
    auto c = make_connect(version, std::move(id), clean_start);
    c.will = std::move(will);
    c.keep_alive = keep_alive;
    if (version == v5 && session_expiry != 0) c.props.session_expiry_interval = session_expiry;
    return c;
  }
  static codec::will_message delayed_will(std::uint32_t delay) {
    codec::properties props;
    props.will_delay_interval = delay;
    return make_will("will/c", "bye", qos::at_most_once, false, props);
  }
};

TEST_P(will_test, published_when_the_connection_drops) {
  auto& watcher = connected(version(), "watcher");
  watcher.subscribe("will/#", qos::at_least_once);
  auto& c = client();
  c.connect(
      will_fixture::with_will(version(), "c", make_will("will/c", "bye", qos::at_least_once)));
  watcher.expect_nothing();
  c.close_abruptly();
  const auto got = watcher.one_publish();
  EXPECT_EQ(got.topic, "will/c");
  EXPECT_EQ(text_of(got.payload), "bye");
  EXPECT_EQ(got.qos_level, qos::at_least_once);
  EXPECT_FALSE(got.retain);
}

TEST_P(will_test, published_on_keep_alive_timeout) {
  auto& watcher = connected(version(), "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(version(), "c", make_will("will/c", "timeout"), true, 0, 10));
  advance(14s);
  watcher.expect_nothing();
  advance(1s);  // 1.5 x 10 s [MQTT-3.1.2-24]
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(text_of(watcher.one_publish().payload), "timeout");
}

TEST_P(will_test, published_on_protocol_violation) {
  auto& watcher = connected(version(), "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(version(), "c", make_will("will/c", "violation")));
  c.send(make_connect(version(), "c"));  // a second CONNECT [MQTT-3.1.0-2]
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(text_of(watcher.one_publish().payload), "violation");
}

TEST_P(will_test, published_on_server_shutdown) {
  auto& watcher = connected(version(), "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(version(), "c", make_will("will/c", "shutdown")));
  c.session().on_server_shutdown(now);
  EXPECT_EQ(text_of(watcher.one_publish().payload), "shutdown");
}

TEST_P(will_test, not_published_after_a_normal_disconnect) {
  auto& watcher = connected(version(), "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(version(), "c", make_will("will/c", "bye")));
  c.disconnect();  // [MQTT-3.1.2-10]
  EXPECT_TRUE(c.closed());
  advance(10s);
  watcher.expect_nothing();
}

TEST_F(broker_test, v5_published_after_disconnect_with_will_message) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", make_will("will/c", "asked for")));
  c.disconnect(reason_code::disconnect_with_will_message);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(text_of(watcher.one_publish().payload), "asked for");
}

TEST_P(will_test, will_retain_stores_it_as_retained) {
  auto& c = client();
  c.connect(will_fixture::with_will(version(), "c",
                                    make_will("will/c", "retained", qos::at_least_once, true)));
  c.close_abruptly();
  auto& late = connected(version(), "late");
  late.subscribe("will/c", qos::at_least_once);
  const auto got = late.one_publish();
  EXPECT_EQ(text_of(got.payload), "retained");
  EXPECT_TRUE(got.retain);
  EXPECT_EQ(got.qos_level, qos::at_least_once);
}

TEST_P(will_test, will_qos_is_honoured_and_downgraded_per_subscriber) {
  auto& q2 = connected(version(), "q2");
  auto& q1 = connected(version(), "q1");
  q2.subscribe("will/c", qos::exactly_once);
  q1.subscribe("will/c", qos::at_least_once);
  auto& c = client();
  c.connect(will_fixture::with_will(version(), "c", make_will("will/c", "x", qos::exactly_once)));
  c.close_abruptly();
  EXPECT_EQ(q2.one_publish().qos_level, qos::exactly_once);
  EXPECT_EQ(q1.one_publish().qos_level, qos::at_least_once);
}

TEST_P(will_test, will_reaches_offline_persistent_subscribers) {
  auto& watcher = connected(version(), "watcher", false, [] {
    codec::properties p;
    p.session_expiry_interval = 3600;
    return p;
  }());
  watcher.subscribe("will/#", qos::at_least_once);
  watcher.disconnect();
  auto& c = client();
  c.connect(
      will_fixture::with_will(version(), "c", make_will("will/c", "bye", qos::at_least_once)));
  c.close_abruptly();
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  watcher.connect(version(), "watcher", false, keep);
  EXPECT_EQ(text_of(watcher.one_publish().payload), "bye");
}

TEST_P(will_test, takeover_publishes_the_old_connections_will) {
  auto& watcher = connected(version(), "watcher");
  watcher.subscribe("will/#");
  auto& first = client();
  first.connect(
      will_fixture::with_will(version(), "same", make_will("will/c", "old"), false, 3600));
  auto& second = client();
  second.connect(version(), "same", false);
  EXPECT_TRUE(first.closed());
  EXPECT_EQ(payloads(watcher.publishes()), std::vector<std::string>{"old"});
  // The new connection has no will: closing it publishes nothing more.
  second.close_abruptly();
  watcher.expect_nothing();
}

TEST_F(broker_test, v5_will_delay_postpones_publication) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", will_fixture::delayed_will(30), false, 3600));
  c.close_abruptly();
  watcher.expect_nothing();
  advance(29s);
  watcher.expect_nothing();
  advance(1s);
  EXPECT_EQ(text_of(watcher.one_publish().payload), "bye");
  advance(60s);
  watcher.expect_nothing();  // once only
}

TEST_F(broker_test, v5_reconnect_within_the_will_delay_cancels_the_will) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", will_fixture::delayed_will(30), false, 3600));
  c.close_abruptly();
  advance(10s);
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  EXPECT_TRUE(c.connect(v5, "c", false, keep).session_present);
  advance(60s);
  watcher.expect_nothing();
  c.close_abruptly();  // the new connection has no will
  advance(60s);
  watcher.expect_nothing();
}

TEST_F(broker_test, v5_takeover_within_the_will_delay_does_not_publish_the_will) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& first = client();
  first.connect(will_fixture::with_will(v5, "same", will_fixture::delayed_will(30), false, 3600));
  auto& second = client();
  codec::properties keep;
  keep.session_expiry_interval = 3600;
  EXPECT_TRUE(second.connect(v5, "same", false, keep).session_present);
  EXPECT_TRUE(first.closed());
  advance(60s);
  watcher.expect_nothing();
}

TEST_F(broker_test, v5_will_goes_at_session_expiry_when_that_comes_first) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", will_fixture::delayed_will(60), false, 10));
  c.close_abruptly();
  advance(9s);
  watcher.expect_nothing();
  advance(1s);
  EXPECT_EQ(text_of(watcher.one_publish().payload), "bye");
  advance(60s);
  watcher.expect_nothing();
}

TEST_F(broker_test, v5_will_delay_with_a_session_ending_at_once_is_published_at_once) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", will_fixture::delayed_will(60), true, 0));
  c.close_abruptly();
  EXPECT_EQ(text_of(watcher.one_publish().payload), "bye");
}

TEST_F(broker_test, v5_clean_start_within_the_will_delay_publishes_the_will) {
  // The old session ends with the new connection's Clean Start: its will goes now.
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", will_fixture::delayed_will(30), false, 3600));
  c.close_abruptly();
  advance(5s);
  watcher.expect_nothing();
  EXPECT_FALSE(c.connect(v5, "c", true).session_present);
  EXPECT_EQ(text_of(watcher.one_publish().payload), "bye");
  advance(60s);
  watcher.expect_nothing();
}

TEST_F(broker_test, v5_disconnect_with_will_respects_the_delay) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", will_fixture::delayed_will(5), false, 3600));
  c.disconnect(reason_code::disconnect_with_will_message);
  advance(4s);
  watcher.expect_nothing();
  advance(1s);
  EXPECT_EQ(watcher.publishes().size(), 1u);
}

TEST_F(broker_test, v5_will_properties_are_forwarded) {
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  codec::properties props;
  props.content_type = "application/json";
  props.response_topic = "reply/here";
  props.correlation_data = bytes_of("corr");
  props.user_properties = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  props.message_expiry_interval = 100;
  props.payload_format_indicator = 1;
  auto& c = client();
  c.connect(
      will_fixture::with_will(v5, "c", make_will("will/c", "{}", qos::at_most_once, false, props)));
  c.close_abruptly();
  const auto got = watcher.one_publish();
  EXPECT_EQ(got.props.content_type, "application/json");
  EXPECT_EQ(got.props.response_topic, "reply/here");
  EXPECT_EQ(got.props.correlation_data, bytes_of("corr"));
  EXPECT_EQ(got.props.user_properties,
            (std::vector<codec::string_pair>{{"a", "1"}, {"b", "2"}, {"a", "3"}}));
  EXPECT_EQ(got.props.message_expiry_interval, 100u);
  EXPECT_EQ(got.props.payload_format_indicator, 1);
  EXPECT_FALSE(got.props.will_delay_interval.has_value());
}

TEST_F(broker_test, v5_published_after_disconnect_with_an_error_reason) {
  // Only DISCONNECT 0x00 deletes the will [MQTT-3.1.2-10, MQTT-3.14.4-3]; a client that ends with
  // an error reason (here 0x80 Unspecified error) leaves it to be published [MQTT-3.1.2-8].
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& c = client();
  c.connect(will_fixture::with_will(v5, "c", make_will("will/c", "client error")));
  c.disconnect(reason_code::unspecified_error);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(payloads(watcher.publishes()), std::vector<std::string>{"client error"});
}

TEST_F(broker_test, v5_takeover_with_clean_start_publishes_a_delayed_will_at_once) {
  // The old session ends with the takeover, so its will goes without waiting for the delay.
  auto& watcher = connected(v5, "watcher");
  watcher.subscribe("will/#");
  auto& first = client();
  first.connect(will_fixture::with_will(v5, "same", will_fixture::delayed_will(30), false, 3600));
  auto& second = client();
  EXPECT_FALSE(second.connect(v5, "same", true).session_present);
  EXPECT_TRUE(first.closed());
  EXPECT_EQ(payloads(watcher.publishes()), std::vector<std::string>{"bye"});
  advance(60s);
  watcher.expect_nothing();
}

}  // namespace
}  // namespace tern::component
