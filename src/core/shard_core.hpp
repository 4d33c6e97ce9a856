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
// Persistence. With a store, every change to a persistent session (one with an expiry interval)
// goes into the shard's journal. A QoS 1/2 publish writes the message once and one entry per
// persistent subscriber; the publisher's acknowledgement waits until that write is durable
// (through the session's hold ticket), and so do QoS 2 deliveries, so nothing the broker
// acknowledged can be lost and no QoS 2 message delivered twice by a crash. Later QoS 2
// deliveries of the shard wait behind earlier ones, keeping arrival order. QoS 1 deliveries go at
// once: when the subscriber acknowledges before the write reached the disk, the write is dropped
// (group_committer), which saves most of the disk work for online subscribers.
//
// Thread: one shard thread. Time comes in through arguments (injected clock).

#include <boost/unordered/unordered_flat_set.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/broker_shared.hpp"
#include "core/journal.hpp"
#include "protocol/broker_port.hpp"
#include "storage/records.hpp"

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
  void publish(protocol::session_state* publisher, protocol::mutable_message_ptr msg,
               protocol::time_point now) override;
  protocol::subscribe_result subscribe(protocol::session_state& state,
                                       const codec::subscription& sub,
                                       std::optional<std::uint32_t> identifier) override;
  bool unsubscribe(protocol::session_state& state, std::string_view filter) override;
  void send_retained(protocol::session& s, const codec::subscription& sub,
                     std::optional<std::uint32_t> identifier, protocol::time_point now) override;
  bool accepting_durable() const override { return journal_.accepting(); }
  auth::access_control* access() override { return shared_.access; }
  std::optional<std::size_t> host_elsewhere(std::string_view client_id) override;
  bool may_publish(const protocol::session_state& state, std::string_view topic) override;
  void inbound_qos2(protocol::session_state& state, std::uint16_t packet_id,
                    bool awaiting) override;
  void outbound_progress(protocol::session_state& state, const protocol::inflight_message& m,
                         protocol::time_point now) override;
  void outbound_done(protocol::session_state& state,
                     const protocol::outbound_message& out) override;
  bool page_out(protocol::session_state& state, const protocol::outbound_message& out,
                protocol::time_point now) override;
  void page_in(protocol::session_state& state, protocol::time_point now) override;

  // A session read back from the store at start-up, before the shard runs. `messages` maps
  // store ids to the messages already rebuilt.
  struct restored_session {
    storage::session_record record;
    std::vector<storage::subscription_record> subscriptions;
    std::vector<storage::entry_record> entries;  // queued and paged, in any order
    std::vector<std::uint16_t> inbound;
    bool had_paged = false;  // some entries were paged out to disk
  };
  void restore(restored_session&& restored,
               const std::unordered_map<std::uint64_t, protocol::message_ptr>& messages,
               protocol::time_point now);

  // The store committed the journal batch with this ticket (and every earlier one): held
  // deliveries go, and connections waiting for it may write.
  void on_durable(std::uint64_t ticket, protocol::time_point now);
  const core::journal& journal() const noexcept { return journal_; }
  core::journal& journal() noexcept { return journal_; }

  // Deliveries posted by other shards.
  void receive(std::vector<remote_delivery>&& batch, protocol::time_point now);
  // Hands the journal's batch to the store, then sends the batches gathered for other shards
  // (in this order: their later changes to a message must commit after its creation).
  void flush_outboxes();
  // Fires due wills and expires sessions. Call about once a second.
  void tick(protocol::time_point now);

  std::size_t session_count() const noexcept { return sessions_.size(); }
  // Every session this shard hosts, connected or not (admin API, metrics).
  template <typename Visit>
  void for_each_session(Visit&& visit) const {
    for (const auto& state : sessions_) visit(*state);
  }
  // Operator actions (admin API, shard_admin.cpp). Each returns false when this shard hosts no
  // session with that client identifier.
  //
  // Disconnects the client (MQTT 5: DISCONNECT 0x98); its session stays by its expiry.
  bool disconnect_client(std::string_view client_id, protocol::time_point now);
  // Ends the session: a connected client is disconnected first; a pending will goes out.
  bool remove_session(std::string_view client_id, protocol::time_point now);
  // Publishes a message that comes from no client (admin API, $SYS topics).
  void publish_from_broker(std::string topic, std::vector<std::uint8_t> payload, codec::qos q,
                           bool retain, protocol::time_point now);
  std::size_t pending_timers() const noexcept { return timers_.size(); }

 private:
  protocol::session_state& create_session(std::shared_ptr<const auth::client_identity> identity);
  void destroy_session(protocol::session_state& state, protocol::time_point now);
  void deliver_local(std::uint64_t session, protocol::outbound_message out,
                     protocol::time_point now);
  void deliver_to(session_key key, protocol::outbound_message out, protocol::time_point now);
  void request_flush();
  // Writes or removes the session's record as its expiry interval says.
  void persist_session(protocol::session_state& state, const codec::will_message* will,
                       protocol::time_point now);
  void set_persisted(protocol::session_state& state, bool persisted);
  // The store entry of a message leaving `state` without completing goes too.
  void drop_entry(protocol::session_state& state, const protocol::outbound_message& out);
  // The acknowledgement the attached connection is about to send waits for the open batch.
  void hold_output(protocol::session_state& state);
  // Hands the shared-subscription messages this session has not acknowledged to other members
  // of their groups; with `fallback`, to offline members too (the session is ending).
  void redistribute_shared(protocol::session_state& state, bool fallback, protocol::time_point now);
  void publish_will(protocol::session_state& state, protocol::time_point now);
  // Reads the next paged entries back into the queue (their writes are durable).
  void load_paged(protocol::session_state& state, protocol::time_point now);
  // The client left: its queue beyond max_queued_in_memory goes to disk.
  void page_out_backlog(protocol::session_state& state, protocol::time_point now);
  // The session ends: its paged entries go, and the message records only they referred to.
  void release_paged(protocol::session_state& state);
  protocol::message_ptr read_message(std::uint64_t id, protocol::time_point now);
  void schedule(protocol::time_point at, std::uint64_t session);
  // Forgets the session's pending will and expiry instants.
  void unschedule(protocol::session_state& state);
  std::string assign_client_id();
  // The subscriber record of one of `state`'s subscriptions, with its ACL read grant.
  subscriber subscriber_of(const protocol::session_state& state, std::string_view filter,
                           const protocol::subscription_record& record) const;
  // The ACL snapshot for this operation; null when no ACL applies.
  // The current access snapshot when it has an ACL, else null.
  std::shared_ptr<const auth::access_snapshot> acl_snapshot() const;

  std::size_t index_;
  broker_shared& shared_;
  shard_links& links_;
  // Open addressing, one pointer per slot: the states are looked up by their client identifier
  // (sessions_, which owns them) and by their store id (by_id_).
  struct by_client_id {
    using is_transparent = void;
    static std::string_view key(std::string_view id) noexcept { return id; }
    static std::string_view key(const std::unique_ptr<protocol::session_state>& s) noexcept {
      return s->client_id();
    }
    std::size_t operator()(const auto& v) const noexcept {
      return std::hash<std::string_view>{}(key(v));
    }
    bool operator()(const auto& a, const auto& b) const noexcept { return key(a) == key(b); }
  };
  struct by_store_id {
    using is_transparent = void;
    static std::uint64_t key(std::uint64_t id) noexcept { return id; }
    static std::uint64_t key(const protocol::session_state* s) noexcept { return s->id; }
    std::size_t operator()(const auto& v) const noexcept {
      return boost::hash<std::uint64_t>{}(key(v));
    }
    bool operator()(const auto& a, const auto& b) const noexcept { return key(a) == key(b); }
  };
  boost::unordered_flat_set<std::unique_ptr<protocol::session_state>, by_client_id, by_client_id>
      sessions_;
  boost::unordered_flat_set<protocol::session_state*, by_store_id, by_store_id> by_id_;
  // Will delays and session expiries, at most one entry per (instant, session); entries leave
  // when the session reconnects or ends, so reconnect loops do not grow it.
  std::set<std::pair<protocol::time_point, std::uint64_t>> timers_;
  std::vector<std::vector<remote_delivery>> outboxes_;  // one per shard
  bool flush_scheduled_ = false;
  std::vector<match_hit> hits_;                                     // reused by publish()
  mutable std::shared_ptr<const auth::access_snapshot> acl_cache_;  // see acl_snapshot()
  mutable std::uint64_t acl_generation_ = 0;                        // none yet
  std::optional<protocol::time_point> next_retained_sweep_;         // shard 0 only
  core::journal journal_;
  // Deliveries waiting for their message to be durable, by journal ticket, in arrival order.
  struct held_deliveries {
    std::uint64_t ticket = 0;
    std::vector<std::pair<session_key, protocol::outbound_message>> deliveries;
  };
  std::deque<held_deliveries> held_;
  // Sessions waiting for their paged entries' writes to be durable before reading them back.
  std::vector<std::uint64_t> awaiting_page_in_;
  // Retained messages replaced or deleted by this shard, each kept alive until the batch that
  // re-points (or clears) its topic is durable: until then the store still refers to it, and
  // its record must not be erased by whichever shard drops the last reference.
  std::deque<std::pair<std::uint64_t, protocol::message_ptr>> retired_retained_;
  std::vector<std::pair<session_key, protocol::outbound_message>> targets_;  // reused
};

}  // namespace tern::core
