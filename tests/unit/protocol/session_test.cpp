// Component tests of the Sans-I/O session: scripted packets in, encoded packets out, manual clock.

#include "protocol/session.hpp"

#include <gtest/gtest.h>

#include "codec/decoder.hpp"
#include "codec/encoder.hpp"
#include "core/shard_core.hpp"

namespace tern::protocol {
namespace {

using namespace codec;
using namespace std::chrono_literals;

// One shard: nothing is ever posted elsewhere.
struct no_links final : core::shard_links {
  void post_deliveries(std::size_t, std::vector<core::remote_delivery>&&) override {}
  void schedule_outbox_flush(std::size_t) override {}
  void commit(std::size_t, storage::write_batch&&, std::uint64_t) override {}
};

class session_test : public ::testing::Test {
 protected:
  time_point now_ = time_point{} + 1000s;
  session_settings settings_;
  core::broker_shared shared_;
  no_links links_;
  std::optional<core::shard_core> core_;
  std::optional<session> session_;

  session& s() {
    if (!session_) {
      shared_.settings = settings_;
      if (!core_) core_.emplace(0, shared_, links_);
      session_.emplace(settings_, *core_, now_);
    }
    return *session_;
  }

  void send(const packet& p, protocol_version v) {
    std::vector<std::uint8_t> bytes;
    ASSERT_GT(encode(p, v, bytes), 0u);
    EXPECT_EQ(s().on_bytes(bytes, now_), bytes.size());
  }

  // Decodes everything the session wrote since the last call.
  std::vector<packet> received(protocol_version v) {
    auto out = s().take_output();
    std::vector<packet> packets;
    std::span<const std::uint8_t> rest(out);
    decode_options options;
    options.version = v;
    while (!rest.empty()) {
      auto r = decode(rest, options);
      EXPECT_EQ(r.status, decode_status::complete) << to_string(r.error);
      if (r.status != decode_status::complete) break;
      packets.push_back(std::move(r.value));
      rest = rest.subspan(r.consumed);
    }
    return packets;
  }

  connack connect_ok(connect c) {
    const auto v = c.version;
    send(c, v);
    auto out = received(v);
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(s().state(), session_phase::connected);
    return std::get<connack>(out.at(0));
  }

  static connect make_connect(protocol_version v, std::string id, std::uint16_t keep_alive = 60) {
    connect c;
    c.version = v;
    c.client_id = std::move(id);
    c.keep_alive = keep_alive;
    return c;
  }
};

TEST_F(session_test, accepts_connect_at_every_level) {
  for (auto v : {protocol_version::v3_1, protocol_version::v3_1_1, protocol_version::v5}) {
    session_.reset();
    const auto ack = connect_ok(make_connect(v, "client-1"));
    EXPECT_EQ(ack.reason, reason_code::success);
    EXPECT_FALSE(ack.session_present);
    EXPECT_EQ(s().client_id(), "client-1");
    EXPECT_EQ(s().version(), v);
  }
}

TEST_F(session_test, first_packet_must_be_connect) {
  send(pingreq{}, protocol_version::v3_1_1);
  EXPECT_TRUE(s().wants_close());
  EXPECT_FALSE(s().has_output());
}

TEST_F(session_test, unsupported_level_gets_v311_connack_code_1) {
  // "MQTT", level 6
  const std::vector<std::uint8_t> bytes{0x10, 0x0E, 0x00, 0x04, 'M',  'Q',  'T', 'T',
                                        0x06, 0x02, 0x00, 0x3C, 0x00, 0x02, 'i', 'd'};
  s().on_bytes(bytes, now_);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(s().take_output(), (std::vector<std::uint8_t>{0x20, 0x02, 0x00, 0x01}));
}

TEST_F(session_test, empty_client_id_rules) {
  auto c = make_connect(protocol_version::v3_1_1, "");
  c.clean_start = false;
  send(c, c.version);
  auto out = received(c.version);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<connack>(out[0]).reason, reason_code::client_identifier_not_valid);
  EXPECT_TRUE(s().wants_close());

  session_.reset();
  const auto ack = connect_ok(make_connect(protocol_version::v5, ""));
  ASSERT_TRUE(ack.props.assigned_client_identifier);
  EXPECT_TRUE(ack.props.assigned_client_identifier->starts_with("auto-"));
  EXPECT_EQ(s().client_id(), *ack.props.assigned_client_identifier);

  session_.reset();
  send(make_connect(protocol_version::v3_1, ""), protocol_version::v3_1);
  EXPECT_EQ(std::get<connack>(received(protocol_version::v3_1).at(0)).reason,
            reason_code::client_identifier_not_valid);
}

TEST_F(session_test, v31_client_id_longer_than_23_is_refused) {
  send(make_connect(protocol_version::v3_1, std::string(24, 'x')), protocol_version::v3_1);
  EXPECT_EQ(std::get<connack>(received(protocol_version::v3_1).at(0)).reason,
            reason_code::client_identifier_not_valid);
}

TEST_F(session_test, enhanced_auth_method_is_refused) {
  auto c = make_connect(protocol_version::v5, "a");
  c.props.authentication_method = "SCRAM-SHA-1";
  send(c, c.version);
  EXPECT_EQ(std::get<connack>(received(c.version).at(0)).reason,
            reason_code::bad_authentication_method);
  EXPECT_TRUE(s().wants_close());
}

TEST_F(session_test, username_comes_from_connect_without_a_transport_identity) {
  auto c = make_connect(protocol_version::v5, "user-from-connect");
  c.username = "alice";
  connect_ok(c);
  EXPECT_EQ(s().username(), std::optional<std::string>("alice"));
  EXPECT_FALSE(s().has_transport_identity());
}

TEST_F(session_test, transport_identity_wins_over_the_connect_username) {
  for (const auto v : {protocol_version::v3_1_1, protocol_version::v5}) {
    session_.reset();
    s().set_transport_identity("client-cn");
    auto c = make_connect(v, "user-from-certificate");
    c.username = "claimed";
    connect_ok(c);
    EXPECT_EQ(s().username(), std::optional<std::string>("client-cn"));
    EXPECT_TRUE(s().has_transport_identity());
    session_.reset();
    s().set_transport_identity("client-cn");
    connect_ok(make_connect(v, "no-username-in-connect"));
    EXPECT_EQ(s().username(), std::optional<std::string>("client-cn"));
  }
}

TEST_F(session_test, pingreq_gets_pingresp) {
  connect_ok(make_connect(protocol_version::v3_1_1, "a"));
  send(pingreq{}, protocol_version::v3_1_1);
  send(pingreq{}, protocol_version::v3_1_1);
  const auto out = received(protocol_version::v3_1_1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<pingresp>(out[0]));
  EXPECT_TRUE(std::holds_alternative<pingresp>(out[1]));
}

TEST_F(session_test, keep_alive_is_enforced_at_one_and_a_half_intervals) {
  connect_ok(make_connect(protocol_version::v5, "a", 10));
  ASSERT_EQ(s().deadline(), now_ + 15s);
  now_ += 14s;
  s().on_timer(now_);
  EXPECT_FALSE(s().wants_close());
  send(pingreq{}, protocol_version::v5);  // activity moves the deadline
  received(protocol_version::v5);
  EXPECT_EQ(s().deadline(), now_ + 15s);
  now_ += 15s;
  s().on_timer(now_);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(s().close_reason().reason, reason_code::keep_alive_timeout);
  const auto out = received(protocol_version::v5);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<disconnect>(out[0]).reason, reason_code::keep_alive_timeout);
}

TEST_F(session_test, keep_alive_zero_has_no_deadline) {
  connect_ok(make_connect(protocol_version::v3_1_1, "a", 0));
  EXPECT_FALSE(s().deadline());
}

TEST_F(session_test, connect_timeout_closes_silent_socket) {
  settings_.connect_timeout = 2s;
  EXPECT_EQ(s().deadline(), now_ + 2s);
  now_ += 1s;
  s().on_timer(now_);
  EXPECT_FALSE(s().wants_close());
  now_ += 1s;
  s().on_timer(now_);
  EXPECT_TRUE(s().wants_close());
  EXPECT_FALSE(s().has_output());
}

TEST_F(session_test, max_keep_alive_is_announced_to_v5_and_refused_for_v311) {
  settings_.max_keep_alive = 30;
  const auto ack = connect_ok(make_connect(protocol_version::v5, "a", 120));
  EXPECT_EQ(ack.props.server_keep_alive, 30);
  EXPECT_EQ(s().keep_alive(), 30);

  session_.reset();
  send(make_connect(protocol_version::v3_1_1, "a", 120), protocol_version::v3_1_1);
  EXPECT_EQ(std::get<connack>(received(protocol_version::v3_1_1).at(0)).reason,
            reason_code::client_identifier_not_valid);
}

TEST_F(session_test, maximum_packet_size_is_announced_and_enforced) {
  settings_.max_packet_size = 128;
  const auto ack = connect_ok(make_connect(protocol_version::v5, "a"));
  EXPECT_EQ(ack.props.maximum_packet_size, 128u);
  // A PUBLISH header announcing 200 bytes is refused before its body arrives.
  const std::vector<std::uint8_t> header{0x30, 0xC8, 0x01};
  s().on_bytes(header, now_);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::packet_too_large);
}

TEST_F(session_test, second_connect_is_a_protocol_error) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  send(make_connect(protocol_version::v5, "a"), protocol_version::v5);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::protocol_error);
}

TEST_F(session_test, server_only_packets_from_a_client_are_protocol_errors) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  send(pingresp{}, protocol_version::v5);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(s().close_reason().reason, reason_code::protocol_error);
}

TEST_F(session_test, malformed_packet_after_connect) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  const std::vector<std::uint8_t> bad{0xC0, 0x01, 0x00};  // PINGREQ with a body
  s().on_bytes(bad, now_);
  const auto d = std::get<disconnect>(received(protocol_version::v5).at(0));
  EXPECT_EQ(d.reason, reason_code::malformed_packet);
  ASSERT_TRUE(d.props.reason_string);  // MQTT 5 clients are told what was wrong
  EXPECT_NE(d.props.reason_string->find("PINGREQ"), std::string::npos);

  session_.reset();
  connect_ok(make_connect(protocol_version::v3_1_1, "a"));
  s().on_bytes(bad, now_);
  EXPECT_TRUE(s().wants_close());
  EXPECT_FALSE(s().has_output());  // 3.1.1 has no DISCONNECT from the server
}

TEST_F(session_test, disconnect_cannot_raise_zero_session_expiry) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  disconnect d;
  d.props.session_expiry_interval = 60;
  send(d, protocol_version::v5);
  EXPECT_EQ(s().close_reason().reason, reason_code::protocol_error);
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::protocol_error);
}

TEST_F(session_test, normal_disconnect_closes_quietly) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  send(disconnect{}, protocol_version::v5);
  EXPECT_TRUE(s().wants_close());
  EXPECT_TRUE(s().close_reason().by_client);
  EXPECT_FALSE(s().has_output());
}

TEST_F(session_test, server_shutdown_tells_v5_clients) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  s().on_server_shutdown(now_);
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::server_shutting_down);
}

TEST_F(session_test, handles_packets_split_and_batched) {
  std::vector<std::uint8_t> stream;
  encode(make_connect(protocol_version::v3_1_1, "a"), protocol_version::v3_1_1, stream);
  for (int i = 0; i < 3; ++i) encode(pingreq{}, protocol_version::v3_1_1, stream);
  // First three bytes alone are not a packet.
  EXPECT_EQ(s().on_bytes(std::span(stream).first(3), now_), 0u);
  EXPECT_EQ(s().on_bytes(stream, now_), stream.size());
  const auto out = received(protocol_version::v3_1_1);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<connack>(out[0]));
  EXPECT_TRUE(std::holds_alternative<pingresp>(out[3]));
}

}  // namespace
}  // namespace tern::protocol

namespace tern::protocol {
namespace {

using namespace codec;

TEST_F(session_test, failed_acks_carry_a_reason_string_only_when_problem_information_is_wanted) {
  for (bool wanted : {true, false}) {
    session_.reset();
    auto c = make_connect(protocol_version::v5, wanted ? "wants" : "quiet");
    if (!wanted) c.props.request_problem_information = 0;
    connect_ok(c);
    publish p;
    p.topic = "t";
    p.qos_level = qos::at_least_once;
    p.packet_id = 5;
    p.props.payload_format_indicator = 1;
    p.payload = {0xFF, 0xFE};  // not UTF-8
    send(p, protocol_version::v5);
    const auto ack = std::get<puback>(received(protocol_version::v5).at(0));
    EXPECT_EQ(ack.reason, reason_code::payload_format_invalid);
    EXPECT_EQ(ack.props.reason_string.has_value(), wanted);
  }
}

TEST_F(session_test, traffic_is_counted_on_the_shard) {
  connect_ok(make_connect(protocol_version::v5, "counted"));
  publish p;
  p.topic = "t/x";
  p.qos_level = qos::at_least_once;
  p.packet_id = 1;
  p.payload = {1, 2, 3};
  send(p, protocol_version::v5);
  EXPECT_EQ(received(protocol_version::v5).size(), 1u);  // PUBACK
  const auto& t = core_->traffic();
  EXPECT_EQ(t.packets_received.get(), 2u);  // CONNECT, PUBLISH
  EXPECT_EQ(t.packets_sent.get(), 2u);      // CONNACK, PUBACK
  EXPECT_EQ(t.publish_received[1].get(), 1u);
  EXPECT_EQ(t.payload_bytes_received[1].get(), 3u);
  EXPECT_EQ(t.connections.get(), 1u);
}

TEST_F(session_test, publishing_to_sys_is_refused_like_an_acl_denial) {
  connect_ok(make_connect(protocol_version::v5, "forger"));
  publish p;
  p.topic = "$SYS/broker/version";
  p.qos_level = qos::at_least_once;
  p.packet_id = 2;
  p.retain = true;
  send(p, protocol_version::v5);
  EXPECT_EQ(std::get<puback>(received(protocol_version::v5).at(0)).reason,
            reason_code::not_authorized);
  EXPECT_EQ(shared_.retained.size(), 0u);
  EXPECT_EQ(core_->traffic().dropped[static_cast<std::size_t>(drop_reason::not_authorized)].get(),
            1u);
}

TEST_F(session_test, admin_disconnect_tells_v5_clients_0x98) {
  connect_ok(make_connect(protocol_version::v5, "kicked"));
  EXPECT_TRUE(core_->disconnect_client("kicked", now_));
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::administrative_action);
  EXPECT_TRUE(s().wants_close());
  EXPECT_FALSE(core_->disconnect_client("kicked", now_));  // no longer connected
  EXPECT_FALSE(core_->disconnect_client("nobody", now_));
}

TEST_F(session_test, auth_naming_a_method_gets_bad_authentication_method) {
  connect_ok(make_connect(protocol_version::v5, "a"));
  codec::auth a;
  a.reason = reason_code::re_authenticate;
  a.props.authentication_method = "SCRAM-SHA-256";
  send(a, protocol_version::v5);
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::bad_authentication_method);
  EXPECT_TRUE(s().wants_close());
}

}  // namespace
}  // namespace tern::protocol

namespace tern::protocol {
namespace {

using namespace codec;

TEST_F(session_test, reconnect_loops_leave_one_pending_timer_per_session) {
  for (int i = 0; i < 100; ++i) {
    session_.reset();
    auto c = make_connect(protocol_version::v5, "looper");
    c.clean_start = false;
    c.props.session_expiry_interval = 3600;
    will_message w;
    w.topic = "will/looper";
    w.props.will_delay_interval = 600;
    c.will = w;
    connect_ok(c);
    EXPECT_EQ(core_->pending_timers(), 0u);  // reconnected: nothing pending
    send(codec::disconnect{reason_code::disconnect_with_will_message, {}}, protocol_version::v5);
    EXPECT_LE(core_->pending_timers(), 2u);  // one will delay and one expiry at most
  }
}

}  // namespace
}  // namespace tern::protocol

namespace tern::protocol {
namespace {

using namespace codec;

TEST_F(session_test, subscriptions_beyond_the_limit_get_quota_exceeded) {
  settings_.max_subscriptions_per_session = 2;
  connect_ok(make_connect(protocol_version::v5, "a"));
  subscribe s;
  s.packet_id = 1;
  for (const char* f : {"a", "b", "c", "a"}) s.subscriptions.push_back({f, {}});
  send(s, protocol_version::v5);
  const auto ack = std::get<suback>(received(protocol_version::v5).at(0));
  EXPECT_EQ(ack.reasons,
            (std::vector<reason_code>{reason_code::success, reason_code::success,
                                      reason_code::quota_exceeded, reason_code::success}));
}

}  // namespace
}  // namespace tern::protocol

namespace tern::protocol {
namespace {

using namespace codec;

// Records what the session reports through its observer.
struct limit_recorder final : session_observer {
  std::vector<limit_event> events;
  void on_output_ready() override {}
  void on_limit(limit_event event, std::string_view) override { events.push_back(event); }
};

TEST_F(session_test, topic_beyond_the_level_limit_gets_0x90_in_puback_and_disconnect_for_qos0) {
  settings_.max_topic_levels = 3;
  limit_recorder recorder;
  connect_ok(make_connect(protocol_version::v5, "deep"));
  s().set_observer(&recorder);
  publish p;
  p.topic = "a/b/c";  // three levels: accepted
  p.qos_level = qos::at_least_once;
  p.packet_id = 1;
  send(p, protocol_version::v5);
  EXPECT_FALSE(is_error(std::get<puback>(received(protocol_version::v5).at(0)).reason));
  p.topic = "a/b/c/d";
  p.packet_id = 2;
  send(p, protocol_version::v5);
  const auto ack = std::get<puback>(received(protocol_version::v5).at(0));
  EXPECT_EQ(ack.reason, reason_code::topic_name_invalid);
  EXPECT_FALSE(s().wants_close());
  p.qos_level = qos::at_most_once;
  send(p, protocol_version::v5);
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::topic_name_invalid);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(recorder.events,
            (std::vector<limit_event>{limit_event::topic_refused, limit_event::topic_refused}));
}

TEST_F(session_test, v311_publish_beyond_the_length_limit_closes) {
  settings_.max_topic_length = 8;
  connect_ok(make_connect(protocol_version::v3_1_1, "long"));
  publish p;
  p.topic = "123456789";
  send(p, protocol_version::v3_1_1);
  EXPECT_TRUE(s().wants_close());
  EXPECT_FALSE(s().has_output());
  EXPECT_EQ(s().close_reason().reason, reason_code::topic_name_invalid);
}

TEST_F(session_test, filters_beyond_the_limits_get_0x8f) {
  settings_.max_topic_length = 10;
  settings_.max_topic_levels = 2;
  connect_ok(make_connect(protocol_version::v5, "filters"));
  subscribe sub;
  sub.packet_id = 1;
  for (const char* f : {"a/+", "a/b/c", "0123456789a", "#"}) sub.subscriptions.push_back({f, {}});
  send(sub, protocol_version::v5);
  EXPECT_EQ(std::get<suback>(received(protocol_version::v5).at(0)).reasons,
            (std::vector<reason_code>{reason_code::success, reason_code::topic_filter_invalid,
                                      reason_code::topic_filter_invalid, reason_code::success}));
}

TEST_F(session_test, will_topic_beyond_the_limits_is_refused) {
  settings_.max_topic_levels = 2;
  auto c = make_connect(protocol_version::v5, "will");
  will_message w;
  w.topic = "a/b/c";
  c.will = w;
  send(c, protocol_version::v5);
  EXPECT_EQ(std::get<connack>(received(protocol_version::v5).at(0)).reason,
            reason_code::topic_name_invalid);
  EXPECT_TRUE(s().wants_close());
}

TEST_F(session_test, a_refused_connection_answers_connect_with_the_reason) {
  s().refuse_connect_with(reason_code::quota_exceeded, "full");
  send(make_connect(protocol_version::v5, "late"), protocol_version::v5);
  EXPECT_EQ(std::get<connack>(received(protocol_version::v5).at(0)).reason,
            reason_code::quota_exceeded);
  EXPECT_TRUE(s().wants_close());
  EXPECT_EQ(core_->session_count(), 0u);  // never attached

  session_.reset();
  s().refuse_connect_with(reason_code::server_busy, "memory");
  send(make_connect(protocol_version::v3_1_1, "late"), protocol_version::v3_1_1);
  const auto out = s().take_output();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[3], 3);  // 3.1.1 return code 3: server unavailable
}

TEST_F(session_test, slow_consumer_gets_quota_exceeded) {
  connect_ok(make_connect(protocol_version::v5, "slow"));
  s().on_slow_consumer(now_);
  EXPECT_EQ(std::get<disconnect>(received(protocol_version::v5).at(0)).reason,
            reason_code::quota_exceeded);
  EXPECT_TRUE(s().wants_close());
}

}  // namespace
}  // namespace tern::protocol
