// Seeded randomized test of the protocol sessions and the broker core against a reference model.
//
// Simulated clients connect (3.1.1 or 5, clean or persistent, with or without a will), subscribe,
// unsubscribe, publish (QoS 0-2, sometimes retained), disconnect, crash and reconnect at random.
// They behave as compliant MQTT clients except that they sometimes "forget" to acknowledge, which
// leaves messages in flight for redelivery. The model tracks which session generation matched
// each message at publish time and checks:
//   - no delivery to a client whose subscriptions did not match (or retained on subscribe),
//   - QoS 1: at least once; QoS 2: exactly once (client-side exactly-once via packet ids),
//   - per-publisher order of first receipts at each subscriber (QoS >= 1 deliveries),
//   - the retained set at the end, and wills (published on crash, never on normal disconnect).
// On failure it prints the seed; TERN_MODEL_SEED=<n> reruns one seed.

#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "codec/decoder.hpp"
#include "codec/encoder.hpp"
#include "codec/topic_rules.hpp"
#include "core/shard_core.hpp"
#include "protocol/session.hpp"

namespace tern {
namespace {

using namespace codec;
using protocol::time_point;

struct no_links final : core::shard_links {
  void post_deliveries(std::size_t, std::vector<core::remote_delivery>&&) override {}
  void schedule_outbox_flush(std::size_t) override {}
  void commit(std::size_t, storage::write_batch&&, std::uint64_t) override {}
};

const std::vector<std::string> k_filters{"a/b", "a/+", "a/#", "#", "+/b", "b/c", "will/+"};
const std::vector<std::string> k_topics{"a/b", "a/c", "b/c", "a", "b/b"};

bool matches(const std::string& filter, const std::string& topic) {
  // Straightforward recursive matcher, independent of the trie.
  std::vector<std::string> f, t;
  topic::for_each_level(filter, [&](std::string_view l) { f.emplace_back(l); });
  topic::for_each_level(topic, [&](std::string_view l) { t.emplace_back(l); });
  std::size_t i = 0;
  for (; i < f.size(); ++i) {
    if (f[i] == "#") return true;
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return i == t.size();
}

struct received_message {
  std::string topic;
  std::string payload;  // "<msg id>" or "will:<client>:<n>"
  qos level;
};

struct sim_client {
  explicit sim_client(std::string name) : id(std::move(name)) {}
  std::string id;
  std::optional<protocol::session> conn;
  protocol_version version = protocol_version::v5;
  bool persistent = false;  // the server session outlives the connection
  bool session_exists = false;
  int generation = 0;
  std::map<std::string, qos> subs;        // model of the server-side subscriptions
  std::set<std::uint16_t> qos2_received;  // client side: PUBREC sent, PUBREL not yet seen
  std::uint16_t next_packet_id = 1;
  std::map<std::uint16_t, publish> unacked_out;  // own QoS 1/2 PUBLISH awaiting PUBACK/PUBREC
  std::set<std::uint16_t> awaiting_pubcomp;      // own QoS 2 after PUBREL
  bool has_will = false;

  std::uint16_t allocate_id() {
    while (true) {
      const auto candidate = next_packet_id;
      next_packet_id = static_cast<std::uint16_t>(candidate == 65'535 ? 1 : candidate + 1);
      if (!unacked_out.contains(candidate) && !awaiting_pubcomp.contains(candidate)) {
        return candidate;
      }
    }
  }
  int will_count = 0;
  std::vector<std::vector<std::uint8_t>> to_send;
};

class model_run {
 public:
  explicit model_run(std::uint64_t seed) : rng_(seed) {
    settings_.max_queued_messages = 1'000'000;
    settings_.max_queued_bytes = std::size_t{1} << 40;
    settings_.max_inflight = 8;
    shared_.settings = settings_;
    core_.emplace(0, shared_, links_);
    for (int i = 0; i < 5; ++i) clients_.emplace_back("c" + std::to_string(i));
  }

  void run(int steps) {
    for (int step = 0; step < steps && !::testing::Test::HasFailure(); ++step) random_step();
    finish();
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }

  void trace(const std::string& line) {
    if (std::getenv("TERN_MODEL_TRACE") != nullptr) std::fprintf(stderr, "%s\n", line.c_str());
  }

  void random_step() {
    auto& c = clients_[static_cast<std::size_t>(pick(static_cast<int>(clients_.size())))];
    now_ += std::chrono::milliseconds(10);
    if (!c.conn) return do_connect(c, chance(30));
    const int action = pick(100);
    if (action < 15) return do_subscribe(c, k_filters[static_cast<std::size_t>(pick(7))]);
    if (action < 20) return do_unsubscribe(c, k_filters[static_cast<std::size_t>(pick(7))]);
    if (action < 85) return do_publish(c);
    if (action < 92) return do_disconnect(c);
    return do_crash(c);
  }

  void send(sim_client& c, const packet& p) {
    if (!c.conn || c.conn->wants_close()) return;  // the connection is gone: nothing goes out
    std::vector<std::uint8_t> bytes;
    ASSERT_GT(encode(p, c.version, bytes), 0u);
    ASSERT_EQ(c.conn->on_bytes(bytes, now_), bytes.size())
        << c.id << " closed by the server: " << c.conn->close_reason().detail;
    pump();
  }

  // Lets every connected client read its output and answer, until nothing moves.
  void pump() {
    bool moved = true;
    while (moved) {
      moved = false;
      for (auto& c : clients_) {
        if (!c.conn || !c.conn->has_output()) continue;
        moved = true;
        if (!draining_ && chance(2)) {
          // The connection dies with packets on the wire: nothing of this batch arrives.
          (void)c.conn->take_output();
          do_crash(c);
          continue;
        }
        read_output(c);
      }
    }
  }

  void read_output(sim_client& c) {
    const auto bytes = c.conn->take_output();
    std::span<const std::uint8_t> rest(bytes);
    decode_options options;
    options.version = c.version;
    std::vector<packet> replies;
    while (!rest.empty()) {
      auto r = decode(rest, options);
      ASSERT_EQ(r.status, decode_status::complete) << to_string(r.error);
      rest = rest.subspan(r.consumed);
      std::visit([&](auto& p) { on_packet(c, p, replies); }, r.value);
    }
    // Sometimes the client loses its acknowledgements (never while the run is being drained).
    const bool acks = draining_ || chance(85);
    if (!c.conn || c.conn->wants_close()) return;
    for (auto& reply : replies) {
      if (!acks &&
          (std::holds_alternative<puback>(reply) || std::holds_alternative<pubrec>(reply) ||
           std::holds_alternative<pubrel>(reply))) {
        continue;
      }
      std::vector<std::uint8_t> out;
      encode(reply, c.version, out);
      c.conn->on_bytes(out, now_);
    }
  }

  template <typename P>
  void on_packet(sim_client& c, const P& p, std::vector<packet>& replies) {
    if constexpr (std::is_same_v<P, publish>) {
      const std::string payload(p.payload.begin(), p.payload.end());
      bool deliver_to_app = true;
      if (p.qos_level == qos::exactly_once) {
        deliver_to_app = c.qos2_received.insert(p.packet_id).second;
        replies.push_back(pubrec{{p.packet_id, reason_code::success, {}}});
      } else if (p.qos_level == qos::at_least_once) {
        replies.push_back(puback{{p.packet_id, reason_code::success, {}}});
      }
      if (deliver_to_app) record_receipt(c, p, payload);
    } else if constexpr (std::is_same_v<P, pubrel>) {
      c.qos2_received.erase(p.packet_id);
      replies.push_back(pubcomp{{p.packet_id, reason_code::success, {}}});
    } else if constexpr (std::is_same_v<P, puback>) {
      c.unacked_out.erase(p.packet_id);
    } else if constexpr (std::is_same_v<P, pubrec>) {
      c.unacked_out.erase(p.packet_id);
      c.awaiting_pubcomp.insert(p.packet_id);
      replies.push_back(pubrel{{p.packet_id, reason_code::success, {}}});
    } else if constexpr (std::is_same_v<P, pubcomp>) {
      c.awaiting_pubcomp.erase(p.packet_id);
    } else if constexpr (std::is_same_v<P, disconnect>) {
      ADD_FAILURE() << c.id << " got DISCONNECT " << to_string(p.reason);
    }
  }

  void record_receipt(sim_client& c, const publish& p, const std::string& payload) {
    const auto key = std::make_pair(c.id, c.generation);
    auto& allowed = allowed_[key];
    ASSERT_TRUE(allowed.contains(payload)) << c.id << " received " << payload << " on " << p.topic
                                           << " without a matching subscription";
    // A retained copy sent for a new subscription is a separate delivery [MQTT-3.3.1-9].
    if (p.retain) return;
    auto& count = receipts_[key][payload];
    ++count;
    if (const auto it = expected_qos2_.find({key, payload}); it != expected_qos2_.end()) {
      ASSERT_EQ(count, 1) << c.id << " received QoS 2 message " << payload << " twice";
    }
    // Order of first receipts per publisher for QoS >= 1 deliveries.
    if (count == 1 && p.qos_level != qos::at_most_once && !p.retain) {
      const auto dot = payload.find('.');
      if (dot != std::string::npos) {
        const auto publisher = payload.substr(0, dot);
        const auto seq = std::stoi(payload.substr(dot + 1));
        auto& last = last_seq_[{key, publisher}];
        ASSERT_GT(seq, last) << c.id << " received " << payload << " after seq " << last;
        last = seq;
      }
    }
  }

  void do_connect(sim_client& c, bool clean_start) {
    c.version = chance(50) ? protocol_version::v5 : protocol_version::v3_1_1;
    const bool persistent = chance(70);
    connect_packet(c, clean_start, persistent, chance(40));
  }

  void connect_packet(sim_client& c, bool clean_start, bool persistent, bool with_will) {
    codec::connect p;
    p.version = c.version;
    p.client_id = c.id;
    p.clean_start = clean_start || (c.version != protocol_version::v5 && !persistent);
    if (c.version == protocol_version::v5 && persistent) p.props.session_expiry_interval = 100'000;
    c.has_will = with_will;
    if (with_will) {
      will_message w;
      w.topic = "will/" + c.id;
      const auto payload = "will:" + c.id + ":" + std::to_string(++c.will_count);
      w.payload.assign(payload.begin(), payload.end());
      w.qos_level = qos::at_least_once;
      p.will = w;
    }
    // Model: a clean start or a missing session begins a new generation.
    const bool resumes = !p.clean_start && c.session_exists;
    if (!resumes) {
      ++c.generation;
      c.subs.clear();
      c.qos2_received.clear();
      c.unacked_out.clear();
      c.awaiting_pubcomp.clear();
    }
    c.session_exists = true;
    c.persistent = c.version == protocol_version::v5 ? persistent : !p.clean_start;
    c.conn.emplace(settings_, *core_, now_);
    trace(c.id + " connect v" + std::to_string(static_cast<int>(c.version)) + " clean=" +
          std::to_string(p.clean_start) + " persistent=" + std::to_string(c.persistent) +
          " will=" + std::to_string(with_will) + " gen=" + std::to_string(c.generation));
    send(c, p);
    if (!resumes || !c.conn || c.conn->wants_close()) return;
    // A resuming client re-sends what the server has not acknowledged [MQTT-4.4.0-1].
    for (auto [packet_id, pub] : std::map<std::uint16_t, publish>(c.unacked_out)) {
      pub.dup = true;
      if (pub.qos_level == qos::at_least_once) {
        // A resent QoS 1 PUBLISH is a new publication for the server: routed and retained again.
        const std::string payload(pub.payload.begin(), pub.payload.end());
        expect_delivery(pub.topic, payload, qos::at_most_once, c.id);
        if (pub.retain && payload.empty()) retained_.erase(pub.topic);
        if (pub.retain && !payload.empty()) retained_[pub.topic] = payload;
      }
      send(c, pub);
      if (!c.conn) return;
    }
    for (auto packet_id : std::set<std::uint16_t>(c.awaiting_pubcomp)) {
      send(c, pubrel{{packet_id, reason_code::success, {}}});
    }
  }

  void do_subscribe(sim_client& c, const std::string& filter) {
    codec::subscribe s;
    s.packet_id = c.allocate_id();
    const auto granted = static_cast<qos>(pick(3));
    s.subscriptions.push_back(
        {filter, {granted, false, false, retain_handling::send_on_subscribe}});
    c.subs[filter] = granted;
    trace(c.id + " subscribe " + filter + " q" + std::to_string(static_cast<int>(granted)));
    // Retained messages it may now receive.
    auto& allowed = allowed_[{c.id, c.generation}];
    for (const auto& [topic, payload] : retained_) {
      if (matches(filter, topic)) allowed.insert(payload);
    }
    send(c, s);
  }

  void do_unsubscribe(sim_client& c, const std::string& filter) {
    codec::unsubscribe u;
    u.packet_id = c.allocate_id();
    u.filters.push_back(filter);
    c.subs.erase(filter);
    trace(c.id + " unsubscribe " + filter);
    send(c, u);
  }

  void expect_delivery(const std::string& topic, const std::string& payload, qos level,
                       const std::string& publisher_id) {
    (void)publisher_id;
    for (auto& s : clients_) {
      if (!s.session_exists) continue;
      if (!s.conn && !s.persistent) continue;
      std::optional<qos> granted;
      for (const auto& [filter, q] : s.subs) {
        if (!matches(filter, topic)) continue;
        if (!granted || static_cast<int>(q) > static_cast<int>(*granted)) granted = q;
      }
      if (!granted) continue;
      const auto key = std::make_pair(s.id, s.generation);
      allowed_[key].insert(payload);
      const auto delivered =
          static_cast<int>(level) < static_cast<int>(*granted) ? level : *granted;
      if (delivered == qos::at_most_once) continue;
      expected_.insert({key, payload});
      if (delivered == qos::exactly_once) expected_qos2_.insert({key, payload});
    }
  }

  void do_publish(sim_client& c) {
    codec::publish p;
    p.topic = k_topics[static_cast<std::size_t>(pick(static_cast<int>(k_topics.size())))];
    p.qos_level = static_cast<qos>(pick(3));
    p.retain = chance(15);
    const auto payload = c.id + "." + std::to_string(++seq_[c.id]);
    const bool clear_retained = p.retain && chance(20);
    if (!clear_retained) p.payload.assign(payload.begin(), payload.end());
    if (p.qos_level != qos::at_most_once) {
      p.packet_id = c.allocate_id();
      c.unacked_out[p.packet_id] = p;
    }
    // An empty retained payload clears the topic and still goes to subscribers
    // [MQTT-3.3.1-6]; empty payloads are indistinguishable, so they are only "allowed".
    expect_delivery(p.topic, clear_retained ? std::string() : payload,
                    clear_retained ? qos::at_most_once : p.qos_level, c.id);
    if (p.retain) {
      if (clear_retained) {
        retained_.erase(p.topic);
      } else {
        retained_[p.topic] = payload;
      }
    }
    send(c, p);
  }

  void end_connection(sim_client& c, bool publishes_will) {
    if (publishes_will && c.has_will) {
      const auto payload = "will:" + c.id + ":" + std::to_string(c.will_count);
      expect_delivery("will/" + c.id, payload, qos::at_least_once, "server");
      trace("expect will " + payload);
      wills_expected_.insert(payload);
    }
    if (!c.persistent) c.session_exists = false;
  }

  void do_disconnect(sim_client& c) {
    trace(c.id + " disconnect");
    end_connection(c, false);
    send(c, codec::disconnect{});
    c.conn.reset();
  }

  void do_crash(sim_client& c) {
    if (!c.conn) return;
    trace(c.id + " crash");
    end_connection(c, true);
    c.conn->on_transport_closed("simulated crash", now_);
    pump();
    c.conn.reset();
    pump();
  }

  void finish() {
    if (::testing::Test::HasFailure()) return;
    // Bring every persistent session back and let it drain, acknowledging everything.
    draining_ = true;
    for (auto& c : clients_) {
      if (c.conn) do_crash(c);
    }
    for (int round = 0; round < 3; ++round) {
      for (auto& c : clients_) {
        if (c.conn) do_crash(c);
        if (!c.session_exists) continue;
        connect_packet(c, false, true, false);
      }
    }
    for (auto& c : clients_) {
      if (!c.conn) continue;
      // Final drain with every acknowledgement sent.
      for (int i = 0; i < 50 && c.conn->has_output(); ++i) read_output(c);
    }
    for (const auto& [key, payload] : expected_) {
      const auto& c = clients_[static_cast<std::size_t>(std::stoi(key.first.substr(1)))];
      if (!c.session_exists || c.generation != key.second) continue;  // that session ended
      EXPECT_GE(receipts_[key][payload], 1)
          << key.first << " (generation " << key.second << ") never received " << payload;
    }
    check_retained();
  }

  void check_retained() {
    sim_client observer("observer");
    observer.version = protocol_version::v5;
    codec::connect p;
    p.version = observer.version;
    p.client_id = observer.id;
    observer.conn.emplace(settings_, *core_, now_);
    std::vector<std::uint8_t> bytes;
    encode(p, p.version, bytes);
    codec::subscribe s;
    s.packet_id = 1;
    s.subscriptions.push_back(
        {"#", {qos::at_most_once, false, false, retain_handling::send_on_subscribe}});
    encode(s, p.version, bytes);
    observer.conn->on_bytes(bytes, now_);
    const auto out = observer.conn->take_output();
    std::map<std::string, std::string> seen;
    std::span<const std::uint8_t> rest(out);
    decode_options options;
    options.version = protocol_version::v5;
    while (!rest.empty()) {
      auto r = decode(rest, options);
      ASSERT_EQ(r.status, decode_status::complete);
      rest = rest.subspan(r.consumed);
      if (auto* pub = std::get_if<publish>(&r.value)) {
        EXPECT_TRUE(pub->retain);
        seen[pub->topic] = std::string(pub->payload.begin(), pub->payload.end());
      }
    }
    EXPECT_EQ(seen, retained_);
  }

  std::mt19937_64 rng_;
  protocol::session_settings settings_;
  core::broker_shared shared_;
  no_links links_;
  std::optional<core::shard_core> core_;
  time_point now_ = time_point{} + std::chrono::hours(1);
  std::deque<sim_client> clients_;
  std::map<std::string, int> seq_;
  std::map<std::string, std::string> retained_;
  using session_key = std::pair<std::string, int>;
  std::map<session_key, std::set<std::string>> allowed_;
  std::map<session_key, std::map<std::string, int>> receipts_;
  std::set<std::pair<session_key, std::string>> expected_;
  std::set<std::pair<session_key, std::string>> expected_qos2_;
  std::map<std::pair<session_key, std::string>, int> last_seq_;
  std::set<std::string> wills_expected_;
  bool draining_ = false;
};

TEST(randomized_core, matches_the_reference_model) {
  std::vector<std::uint64_t> seeds;
  if (const char* env = std::getenv("TERN_MODEL_SEED")) {
    seeds.push_back(std::strtoull(env, nullptr, 10));
  } else {
    for (std::uint64_t s = 1; s <= 1000; ++s) seeds.push_back(s);
  }
  for (auto seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun with TERN_MODEL_SEED=" + std::to_string(seed) + ")");
    model_run(seed).run(400);
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace tern
