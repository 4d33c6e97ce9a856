#pragma once
// The broker core of one shard: the sessions whose client identifiers this shard hosts, routing
// of publishes to local and remote subscribers, wills and session expiry. Implements the
// broker_port that protocol sessions talk to.
//
// Model. A publish matches the shared subscription index once; matches are merged per session
// (highest granted QoS, every subscription identifier, [MQTT-3.3.4-2..5]); local sessions get the
// message at once, remote ones through one batch per target shard, posted when the current batch
// of input has been handled. Sessions live while connected, and after that for their expiry
// interval; wills wait for their delay or the end of the session, whichever comes first
// [MQTT-3.1.3-9].
//
// Thread: one shard thread. Time comes in through arguments (injected clock).

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/broker_shared.hpp"
#include "protocol/broker_port.hpp"

namespace tern::core {

class shard_core final : public protocol::broker_port {
 public:
  shard_core(std::size_t index, broker_shared& shared, shard_links& links);
  ~shard_core() override;

  // broker_port
  protocol::attach_result attach(protocol::session& s, const codec::connect& c,
                                 std::string& client_id, std::uint32_t expiry_interval,
                                 protocol::time_point now) override;
  void detach(protocol::session_state& state, protocol::end_kind kind,
              protocol::time_point now) override;
  void publish(protocol::message_ptr msg, protocol::time_point now) override;
  protocol::subscribe_result subscribe(protocol::session_state& state,
                                       const codec::subscription& sub,
                                       std::optional<std::uint32_t> identifier) override;
  bool unsubscribe(protocol::session_state& state, std::string_view filter) override;
  void send_retained(protocol::session& s, const codec::subscription& sub,
                     std::optional<std::uint32_t> identifier, protocol::time_point now) override;

  // Deliveries posted by other shards.
  void receive(std::vector<remote_delivery>&& batch, protocol::time_point now);
  // Sends the batches gathered for other shards.
  void flush_outboxes();
  // Fires due wills and expires sessions. Call about once a second.
  void tick(protocol::time_point now);

  std::size_t session_count() const noexcept { return sessions_.size(); }
  std::size_t pending_timers() const noexcept { return timers_.size(); }

 private:
  protocol::session_state& create_session(const std::string& client_id);
  void destroy_session(protocol::session_state& state, protocol::time_point now);
  void deliver_local(std::uint64_t session, protocol::outbound_message out,
                     protocol::time_point now);
  void deliver_to(session_key key, protocol::outbound_message out, protocol::time_point now);
  // Hands the shared-subscription messages this session has not acknowledged to other members
  // of their groups; with `fallback`, to offline members too (the session is ending).
  void redistribute_shared(protocol::session_state& state, bool fallback, protocol::time_point now);
  void publish_will(protocol::session_state& state, protocol::time_point now);
  void schedule(protocol::time_point at, std::uint64_t session);
  // Forgets the session's pending will and expiry instants.
  void unschedule(protocol::session_state& state);
  std::string assign_client_id();

  std::size_t index_;
  broker_shared& shared_;
  shard_links& links_;
  std::unordered_map<std::string, std::unique_ptr<protocol::session_state>> sessions_;
  std::unordered_map<std::uint64_t, protocol::session_state*> by_id_;
  std::uint64_t next_id_ = 1;
  // Will delays and session expiries, at most one entry per (instant, session); entries leave
  // when the session reconnects or ends, so reconnect loops do not grow it.
  std::set<std::pair<protocol::time_point, std::uint64_t>> timers_;
  std::vector<std::vector<remote_delivery>> outboxes_;  // one per shard
  bool flush_scheduled_ = false;
  std::vector<match_hit> hits_;                              // reused by publish()
  std::optional<protocol::time_point> next_retained_sweep_;  // shard 0 only
};

}  // namespace tern::core
