#pragma once
// Component-test harness: real protocol::session objects attached to one real core::shard_core,
// driven with scripted packets and a manual clock. No sockets, no threads.
//
// broker_harness owns the shared broker state, the core (created on first use, so a test can
// adjust `settings` first) and every test_client. A test_client is one simulated network
// connection at a time: connect() opens a fresh protocol::session; received() decodes what the
// broker wrote to it since the last call, resolving outbound topic aliases as a client would,
// and then tells the session its output was written (as the transport does). advance() moves the
// clock in one-second steps, firing session timers (keep-alive) and core.tick() (wills, session
// expiry) on the way.
//
// Helpers that expect something throw harness_error when the broker does not comply; GoogleTest
// reports the exception as a failure of the running test.
//
// With enable_store() the core writes its journal to an in-memory backend: settle() commits what
// the core handed over, as the storage thread does, and runs before a client reads anything (so
// what a client saw was durable, as held output guarantees in the broker); restart() is a crash
// and a start on what the store holds.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "codec/decoder.hpp"
#include "codec/encoder.hpp"
#include "codec/packets.hpp"
#include "core/broker_shared.hpp"
#include "core/recovery.hpp"
#include "core/shard_core.hpp"
#include "core/store_reclaimer.hpp"
#include "protocol/session.hpp"
#include "protocol/settings.hpp"
#include "storage/group_committer.hpp"
#include "storage/memory_backend.hpp"
#include "storage/snapshot.hpp"

namespace tern::component {

using namespace std::chrono_literals;
using codec::protocol_version;
using codec::qos;
using codec::reason_code;

inline constexpr protocol_version v311 = protocol_version::v3_1_1;
inline constexpr protocol_version v5 = protocol_version::v5;

struct harness_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline codec::binary bytes_of(std::string_view text) {
  return codec::binary(text.begin(), text.end());
}

inline std::string text_of(const codec::binary& data) {
  return std::string(data.begin(), data.end());
}

inline std::string describe(const codec::packet& p) {
  std::string text(codec::to_string(codec::type_of(p)));
  if (const auto* pub = std::get_if<codec::publish>(&p)) {
    text += " topic='" + pub->topic + "' payload='" + text_of(pub->payload) +
            "' qos=" + std::to_string(static_cast<int>(pub->qos_level)) +
            " retain=" + std::to_string(pub->retain) + " dup=" + std::to_string(pub->dup) +
            " id=" + std::to_string(pub->packet_id);
  } else if (const auto* d = std::get_if<codec::disconnect>(&p)) {
    text += " reason=" + std::string(codec::to_string(d->reason));
  } else if (const auto* a = std::get_if<codec::connack>(&p)) {
    text += " reason=" + std::string(codec::to_string(a->reason)) +
            " session_present=" + std::to_string(a->session_present);
  }
  return text;
}

inline std::string describe(const std::vector<codec::packet>& packets) {
  std::string text = "[";
  for (const auto& p : packets) {
    if (text.size() > 1) text += ", ";
    text += describe(p);
  }
  return text + "]";
}

inline std::vector<std::string> payloads(const std::vector<codec::publish>& messages) {
  std::vector<std::string> out;
  out.reserve(messages.size());
  for (const auto& m : messages) out.push_back(text_of(m.payload));
  return out;
}

inline std::vector<std::string> topics(const std::vector<codec::publish>& messages) {
  std::vector<std::string> out;
  out.reserve(messages.size());
  for (const auto& m : messages) out.push_back(m.topic);
  return out;
}

inline codec::connect make_connect(protocol_version version, std::string client_id,
                                   bool clean_start = true, codec::properties props = {}) {
  codec::connect c;
  c.version = version;
  c.client_id = std::move(client_id);
  c.clean_start = clean_start;
  c.keep_alive = 0;
  c.props = std::move(props);
  return c;
}

inline codec::will_message make_will(std::string topic, std::string_view payload,
                                     qos level = qos::at_most_once, bool retain = false,
                                     codec::properties props = {}) {
  codec::will_message w;
  w.topic = std::move(topic);
  w.payload = bytes_of(payload);
  w.qos_level = level;
  w.retain = retain;
  w.props = std::move(props);
  return w;
}

inline codec::subscription_options sub_options(
    qos max_qos, bool no_local = false, bool retain_as_published = false,
    codec::retain_handling handling = codec::retain_handling::send_on_subscribe) {
  codec::subscription_options o;
  o.max_qos = max_qos;
  o.no_local = no_local;
  o.retain_as_published = retain_as_published;
  o.retain = handling;
  return o;
}

// One shard: nothing is ever posted to another one. Batches for the store wait for settle().
struct no_links final : core::shard_links {
  void post_deliveries(std::size_t, std::vector<core::remote_delivery>&&) override {}
  void schedule_outbox_flush(std::size_t) override {}
  void commit(std::size_t, storage::write_batch&& batch, std::uint64_t ticket) override {
    commits.emplace_back(std::move(batch), ticket);
  }
  std::vector<std::pair<storage::write_batch, std::uint64_t>> commits;
};

class broker_harness;

class test_client {
 public:
  explicit test_client(broker_harness& broker) : broker_(broker) {}
  test_client(const test_client&) = delete;
  test_client& operator=(const test_client&) = delete;

  // Opens a new connection and sends CONNECT. Returns the CONNACK; packets sent after it (a
  // resumed session's messages) are kept for received().
  codec::connack connect(protocol_version version, std::string client_id, bool clean_start = true,
                         codec::properties props = {});
  codec::connack connect(const codec::connect& c);

  // Encodes `p` at the connection's protocol level and feeds it to the session.
  void send(const codec::packet& p);
  void send_bytes(std::span<const std::uint8_t> bytes);

  // PUBLISH with a fresh packet identifier for QoS 1/2. Returns the identifier (0 for QoS 0).
  std::uint16_t publish(std::string topic, std::string_view payload, qos level = qos::at_most_once,
                        bool retain = false, codec::properties props = {});

  // SUBSCRIBE and wait for the SUBACK; returns its reason codes.
  std::vector<reason_code> subscribe(std::string filter, qos max_qos = qos::at_most_once,
                                     std::optional<std::uint32_t> identifier = {});
  std::vector<reason_code> subscribe(std::string filter, codec::subscription_options options,
                                     std::optional<std::uint32_t> identifier = {});
  std::vector<reason_code> subscribe(std::vector<codec::subscription> subscriptions,
                                     std::optional<std::uint32_t> identifier = {});
  // UNSUBSCRIBE and wait for the UNSUBACK; returns its reason codes (none before MQTT 5).
  std::vector<reason_code> unsubscribe(std::vector<std::string> filters);

  void puback(std::uint16_t id, reason_code reason = reason_code::success);
  void pubrec(std::uint16_t id, reason_code reason = reason_code::success);
  void pubrel(std::uint16_t id, reason_code reason = reason_code::success);
  void pubcomp(std::uint16_t id, reason_code reason = reason_code::success);
  // Completes the acknowledgement of a received QoS 1 or 2 message (PUBACK, or
  // PUBREC / expect PUBREL / PUBCOMP). QoS 0 needs nothing.
  void ack(const codec::publish& p);
  void ping();

  void disconnect(reason_code reason = reason_code::success, codec::properties props = {});
  // The network connection drops without a DISCONNECT.
  void close_abruptly();
  // The connection is gone with the broker (broker_harness::restart()).
  void crash() {
    session_.reset();
    pending_.clear();
  }

  // Every packet the broker sent since the last call, decoded.
  std::vector<codec::packet> received();
  // Received packets, all of which must be PUBLISH.
  std::vector<codec::publish> publishes();
  // Exactly one packet, a PUBLISH.
  codec::publish one_publish();
  // Exactly one packet, of type T.
  template <typename T>
  T expect_one();
  // Nothing was sent.
  void expect_nothing();
  // Receives PUBLISH packets, acknowledging each, until none is left (the in-flight window
  // refills as acknowledgements come in). Returns all of them in order.
  std::vector<codec::publish> drain_acking();

  bool closed() const { return session_ && session_->wants_close(); }
  bool connected() const {
    return session_ && session_->state() == protocol::session_phase::connected;
  }
  protocol::session& session() {
    if (!session_) throw harness_error("client has no connection");
    return *session_;
  }
  protocol_version version() const { return version_; }
  const std::string& client_id() const { return client_id_; }
  // When false, PUBLISH packets that use an outbound topic alias keep their empty topic, so a
  // test can see what went on the wire. The alias is checked either way.
  void resolve_topic_aliases(bool on) { resolve_aliases_ = on; }

  // Called by the harness when the clock moves.
  void on_time(protocol::time_point now);

 private:
  void pull();
  void resolve_alias(codec::publish& p);
  std::uint16_t next_id() {
    const auto id = next_packet_id_;
    next_packet_id_ = static_cast<std::uint16_t>(id == 65'535 ? 1 : id + 1);
    return id;
  }
  template <typename Ack>
  Ack take_ack(std::uint16_t packet_id, std::string_view what);

  broker_harness& broker_;
  std::unique_ptr<protocol::session> session_;
  protocol_version version_ = v5;
  std::string client_id_;
  std::deque<codec::packet> pending_;
  std::uint16_t next_packet_id_ = 1;
  // Outbound topic aliases the broker defined on this connection (client Topic Alias Maximum).
  std::uint16_t topic_alias_maximum_ = 0;
  std::map<std::uint16_t, std::string> aliases_;
  bool resolve_aliases_ = true;
};

class broker_harness {
 public:
  broker_harness() = default;
  broker_harness(const broker_harness&) = delete;
  broker_harness& operator=(const broker_harness&) = delete;

  // Applies to every client and to the core; change before the first client is created.
  protocol::session_settings settings;
  protocol::time_point now = protocol::time_point{} + 1000s;

  ~broker_harness() {
    if (reclaimer_) reclaimer_->disable();
    clients_.clear();
    core::store_reclaimer::bind_thread(nullptr);
  }

  core::shard_core& core() {
    if (!core_) {
      shared_->settings = settings;
      if (backend_) {
        shared_->committer = committer_.get();
        shared_->reclaimer = reclaimer_.get();
        shared_->store = backend_.get();
        reclaimer_->keep_paged(&shared_->paged);
      }
      core_.emplace(0, *shared_, links_);
      core::store_reclaimer::bind_thread(&core_->journal());
    }
    return *core_;
  }
  core::broker_shared& shared() {
    core();
    return *shared_;
  }

  // Gives the broker a store (an in-memory backend); call before the first client.
  void enable_store() {
    backend_ = std::make_unique<storage::memory_backend>();
    committer_ = std::make_unique<storage::group_committer>(*backend_, storage::durability::os);
    reclaimer_ = std::make_unique<core::store_reclaimer>(*committer_);
  }
  storage::memory_backend& backend() { return *backend_; }
  bool has_store() const noexcept { return backend_ != nullptr; }

  // Writes what the core handed to the store and tells the core it is durable.
  void settle() {
    if (!backend_) return;
    core().flush_outboxes();
    while (!links_.commits.empty()) {
      auto commits = std::exchange(links_.commits, {});
      for (auto& [batch, ticket] : commits) {
        storage::shrink_for_commit(batch);
        backend_->write(batch, storage::durability::os);
        core().on_durable(ticket, now);
      }
      core().flush_outboxes();
    }
  }

  // kill -9 and a start on the same store: what was not committed is lost, every connection
  // ends without a word (clients connect() again), and the broker restores what the store holds.
  void restart() {
    // Nothing the dying broker does reaches the store.
    reclaimer_->disable();
    for (auto& c : clients_) c->crash();
    core::store_reclaimer::bind_thread(nullptr);
    core_.reset();
    shared_ = std::make_unique<core::broker_shared>();
    links_.commits.clear();
    reclaimer_ = std::make_unique<core::store_reclaimer>(*committer_);
    core();
    storage::write_batch cleanup;
    auto snap = storage::load_snapshot(*backend_, cleanup);
    backend_->write(cleanup, storage::durability::os);
    core::restore_broker(std::move(snap), *shared_, {&*core_}, now);
  }

  test_client& client() {
    core();
    clients_.push_back(std::make_unique<test_client>(*this));
    return *clients_.back();
  }

  // A client connected with the given identity; the CONNACK must be a success.
  test_client& connected(protocol_version version, std::string client_id, bool clean_start = true,
                         codec::properties props = {}) {
    auto& c = client();
    const auto ack = c.connect(version, std::move(client_id), clean_start, std::move(props));
    if (ack.reason != reason_code::success) {
      throw harness_error("CONNECT refused: " + std::string(codec::to_string(ack.reason)));
    }
    return c;
  }

  // Moves the clock in steps of at most one second; every step fires due session timers and
  // core.tick(), like the transport's timers would.
  void advance(std::chrono::milliseconds by) {
    while (by > 0ms) {
      const auto step = std::min<std::chrono::milliseconds>(by, 1s);
      by -= step;
      now += step;
      for (auto& c : clients_) c->on_time(now);
      core().tick(now);
    }
  }

 private:
  // Declaration order matters: clients go first, then the core, then what the core uses.
  std::unique_ptr<storage::memory_backend> backend_;
  std::unique_ptr<storage::group_committer> committer_;
  std::unique_ptr<core::store_reclaimer> reclaimer_;
  std::unique_ptr<core::broker_shared> shared_ = std::make_unique<core::broker_shared>();
  no_links links_;
  std::optional<core::shard_core> core_;
  std::deque<std::unique_ptr<test_client>> clients_;
};

// ---- test_client implementation ------------------------------------------------------------

inline codec::connack test_client::connect(protocol_version version, std::string client_id,
                                           bool clean_start, codec::properties props) {
  return connect(make_connect(version, std::move(client_id), clean_start, std::move(props)));
}

inline codec::connack test_client::connect(const codec::connect& c) {
  if (session_ && !session_->wants_close()) {
    throw harness_error("connect() while the previous connection is still open");
  }
  session_.reset();
  pending_.clear();
  aliases_.clear();  // aliases belong to one connection [MQTT-3.3.2-7]
  topic_alias_maximum_ = c.version == v5 ? c.props.topic_alias_maximum.value_or(0) : 0;
  version_ = c.version;
  client_id_ = c.client_id;
  session_ = std::make_unique<protocol::session>(broker_.settings, broker_.core(), broker_.now);
  send(c);
  pull();
  if (pending_.empty() || !std::holds_alternative<codec::connack>(pending_.front())) {
    throw harness_error("expected CONNACK, got " +
                        describe(std::vector<codec::packet>(pending_.begin(), pending_.end())));
  }
  auto ack = std::get<codec::connack>(std::move(pending_.front()));
  pending_.pop_front();
  if (session_->state() == protocol::session_phase::connected) client_id_ = session_->client_id();
  return ack;
}

inline void test_client::send(const codec::packet& p) {
  std::vector<std::uint8_t> bytes;
  if (codec::encode(p, version_, bytes) == 0) {
    throw harness_error("cannot encode " + describe(p));
  }
  send_bytes(bytes);
}

inline void test_client::send_bytes(std::span<const std::uint8_t> bytes) {
  auto& s = session();
  if (s.wants_close()) throw harness_error("sending on a closed connection");
  const auto consumed = s.on_bytes(bytes, broker_.now);
  // A closing session may stop early; otherwise every complete packet must be taken.
  if (!s.wants_close() && consumed != bytes.size()) {
    throw harness_error("session consumed " + std::to_string(consumed) + " of " +
                        std::to_string(bytes.size()) + " bytes");
  }
}

inline std::uint16_t test_client::publish(std::string topic, std::string_view payload, qos level,
                                          bool retain, codec::properties props) {
  codec::publish p;
  p.topic = std::move(topic);
  p.payload = bytes_of(payload);
  p.qos_level = level;
  p.retain = retain;
  p.props = std::move(props);
  if (level != qos::at_most_once) p.packet_id = next_id();
  send(p);
  return p.packet_id;
}

inline std::vector<reason_code> test_client::subscribe(std::string filter, qos max_qos,
                                                       std::optional<std::uint32_t> identifier) {
  return subscribe(std::move(filter), sub_options(max_qos), identifier);
}

inline std::vector<reason_code> test_client::subscribe(std::string filter,
                                                       codec::subscription_options options,
                                                       std::optional<std::uint32_t> identifier) {
  return subscribe(std::vector<codec::subscription>{{std::move(filter), options}}, identifier);
}

inline std::vector<reason_code> test_client::subscribe(
    std::vector<codec::subscription> subscriptions, std::optional<std::uint32_t> identifier) {
  codec::subscribe s;
  s.packet_id = next_id();
  s.subscriptions = std::move(subscriptions);
  if (identifier) s.props.subscription_identifiers.push_back(*identifier);
  send(s);
  return take_ack<codec::suback>(s.packet_id, "SUBACK").reasons;
}

inline std::vector<reason_code> test_client::unsubscribe(std::vector<std::string> filters) {
  codec::unsubscribe u;
  u.packet_id = next_id();
  u.filters = std::move(filters);
  send(u);
  return take_ack<codec::unsuback>(u.packet_id, "UNSUBACK").reasons;
}

template <typename Ack>
Ack test_client::take_ack(std::uint16_t packet_id, std::string_view what) {
  pull();
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (const auto* a = std::get_if<Ack>(&*it); a != nullptr && a->packet_id == packet_id) {
      Ack result = *a;
      pending_.erase(it);  // packets around it stay for received()
      return result;
    }
  }
  throw harness_error("expected " + std::string(what) + " for packet id " +
                      std::to_string(packet_id) + ", got " +
                      describe(std::vector<codec::packet>(pending_.begin(), pending_.end())));
}

inline void test_client::puback(std::uint16_t id, reason_code reason) {
  codec::puback a;
  a.packet_id = id;
  a.reason = reason;
  send(a);
}

inline void test_client::pubrec(std::uint16_t id, reason_code reason) {
  codec::pubrec a;
  a.packet_id = id;
  a.reason = reason;
  send(a);
}

inline void test_client::pubrel(std::uint16_t id, reason_code reason) {
  codec::pubrel a;
  a.packet_id = id;
  a.reason = reason;
  send(a);
}

inline void test_client::pubcomp(std::uint16_t id, reason_code reason) {
  codec::pubcomp a;
  a.packet_id = id;
  a.reason = reason;
  send(a);
}

inline void test_client::ack(const codec::publish& p) {
  switch (p.qos_level) {
    case qos::at_most_once:
      return;
    case qos::at_least_once:
      return puback(p.packet_id);
    case qos::exactly_once:
      pubrec(p.packet_id);
      take_ack<codec::pubrel>(p.packet_id, "PUBREL");
      return pubcomp(p.packet_id);
  }
}

inline void test_client::ping() {
  send(codec::pingreq{});
  pull();
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (std::holds_alternative<codec::pingresp>(*it)) {
      pending_.erase(it);
      return;
    }
  }
  throw harness_error("expected PINGRESP");
}

inline void test_client::disconnect(reason_code reason, codec::properties props) {
  codec::disconnect d;
  d.reason = reason;
  d.props = std::move(props);
  send(d);
}

inline void test_client::close_abruptly() {
  session().on_transport_closed("connection reset by test", broker_.now);
}

inline void test_client::pull() {
  if (!session_) return;
  broker_.settle();  // output waits for the store (held output)
  const auto out = session_->take_output();
  std::span<const std::uint8_t> rest(out);
  codec::decode_options options;
  options.version = version_;
  while (!rest.empty()) {
    auto r = codec::decode(rest, options);
    if (r.status != codec::decode_status::complete) {
      throw harness_error("broker wrote an undecodable packet: " +
                          std::string(codec::to_string(r.error)));
    }
    if (auto* p = std::get_if<codec::publish>(&r.value)) resolve_alias(*p);
    pending_.push_back(std::move(r.value));
    rest = rest.subspan(r.consumed);
  }
  // Like the transport once the bytes are written: the session may send what it held back.
  if (!out.empty() && !session_->wants_close()) session_->on_output_drained(broker_.now);
}

inline void test_client::resolve_alias(codec::publish& p) {
  if (!p.props.topic_alias) return;
  const auto alias = *p.props.topic_alias;
  if (alias == 0 || alias > topic_alias_maximum_) {
    throw harness_error("broker used topic alias " + std::to_string(alias) + " above the " +
                        std::to_string(topic_alias_maximum_) + " the client allows");
  }
  if (!p.topic.empty()) {
    aliases_[alias] = p.topic;
    return;
  }
  const auto it = aliases_.find(alias);
  if (it == aliases_.end()) {
    throw harness_error("broker used undefined topic alias " + std::to_string(alias));
  }
  if (resolve_aliases_) p.topic = it->second;
}

inline std::vector<codec::packet> test_client::received() {
  pull();
  std::vector<codec::packet> out(std::make_move_iterator(pending_.begin()),
                                 std::make_move_iterator(pending_.end()));
  pending_.clear();
  return out;
}

inline std::vector<codec::publish> test_client::publishes() {
  const auto packets = received();
  std::vector<codec::publish> out;
  for (const auto& p : packets) {
    const auto* pub = std::get_if<codec::publish>(&p);
    if (pub == nullptr) throw harness_error("expected only PUBLISH, got " + describe(packets));
    out.push_back(*pub);
  }
  return out;
}

inline codec::publish test_client::one_publish() {
  return expect_one<codec::publish>();
}

template <typename T>
T test_client::expect_one() {
  const auto packets = received();
  if (packets.size() != 1 || !std::holds_alternative<T>(packets.front())) {
    throw harness_error("expected exactly one packet of the requested type, got " +
                        describe(packets));
  }
  return std::get<T>(packets.front());
}

inline void test_client::expect_nothing() {
  const auto packets = received();
  if (!packets.empty()) {
    ADD_FAILURE() << "client '" << client_id_ << "' expected nothing, got " << describe(packets);
  }
}

inline std::vector<codec::publish> test_client::drain_acking() {
  std::vector<codec::publish> all;
  while (true) {
    const auto batch = publishes();
    if (batch.empty()) return all;
    for (const auto& p : batch) {
      all.push_back(p);
      ack(p);
    }
  }
}

inline void test_client::on_time(protocol::time_point now) {
  if (!session_ || session_->wants_close()) return;
  if (const auto deadline = session_->deadline(); deadline && *deadline <= now) {
    session_->on_timer(now);
  }
}

// ---- fixtures -------------------------------------------------------------------------------

class broker_test : public ::testing::Test, public broker_harness {};

class broker_version_test : public ::testing::TestWithParam<protocol_version>,
                            public broker_harness {
 protected:
  protocol_version version() const { return GetParam(); }
  bool is_v5() const { return GetParam() == v5; }
};

inline std::string version_name(const ::testing::TestParamInfo<protocol_version>& info) {
  return info.param == v5 ? "v5" : "v311";
}

#define TERN_BOTH_VERSIONS(fixture)                                        \
  INSTANTIATE_TEST_SUITE_P(versions, fixture, ::testing::Values(v311, v5), \
                           ::tern::component::version_name)

}  // namespace tern::component
