#pragma once
// The state of an MQTT session that outlives its network connection [MQTT-4.1]: subscriptions,
// messages queued while offline, outbound QoS 1/2 messages in flight, inbound QoS 2 packet
// identifiers awaiting PUBREL, the will, and the expiry interval.
//
// Thread: owned by the core of the shard that hosts the client identifier; lent to the
// protocol::session of the current connection while one is attached.

#include <atomic>
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/acl_file.hpp"
#include "codec/packets.hpp"
#include "protocol/inflight_window.hpp"
#include "protocol/lazy_container.hpp"
#include "protocol/memory_ledger.hpp"
#include "protocol/message.hpp"
#include "protocol/optional_instant.hpp"
#include "protocol/outbound_message.hpp"
#include "protocol/packet_id_set.hpp"

namespace tern::protocol {

class session;

struct subscription_record {
  codec::subscription_options options;
  std::optional<std::uint32_t> identifier;
};

// What other shards may read about a session without touching it. Counted in place: every
// subscription of the session in the index holds a pointer to it.
struct session_presence : boost::intrusive_ref_counter<session_presence> {
  std::atomic<bool> online{false};      // a connection is attached
  std::atomic<bool> persistent{false};  // the session has a record in the store
};

using presence_ptr = boost::intrusive_ptr<session_presence>;

// Stored messages of an offline session's queue that wait on disk only, behind everything in
// `queue` (queue paging): on-disk sequence numbers [first, next), their bytes, and the store
// commit that must be durable before they can be read back.
struct paged_entries {
  std::uint64_t first = 0;
  std::uint64_t next = 0;
  std::size_t bytes = 0;
  std::uint64_t ticket = 0;
  std::size_t count() const noexcept { return static_cast<std::size_t>(next - first); }
};

struct session_state {
  // Who the client is: its identifier (the session's only copy of it) and, once known, its user.
  // Shared with the ACL read grants of its subscriptions; never null.
  std::shared_ptr<const auth::client_identity> identity;
  std::uint64_t id = 0;  // unique within the broker, also across restarts (store key)
  codec::protocol_version version = codec::protocol_version::v5;
  std::uint16_t next_packet_id = 1;
  std::uint32_t expiry_interval = 0;                         // seconds; 0xFFFFFFFF never
  lazy_map<std::string, subscription_record> subscriptions;  // by full filter

  // Most sessions have nothing queued or in flight most of the time: see lazy_container.hpp.
  lazy_deque<outbound_message> queue;  // not yet sent (offline, or window full)
  accounted_bytes queued_bytes;        // counted towards max_memory
  // Messages for the attached client that arrived while older ones were still paged: they wait
  // in memory behind the paged range (paging them would only read them back at once).
  lazy_deque<outbound_message> behind_paged;
  inflight_window inflight;  // sent, not acknowledged, in send order
  // Received QoS 2 ids awaiting PUBREL: no allocation per PUBLISH, none at all until the first.
  packet_id_set inbound_qos2;

  std::unique_ptr<codec::will_message> will;  // most sessions have none (~560 bytes)
  optional_instant will_at;                   // a will waiting for its delay
  optional_instant expires_at;                // set while no connection is attached
  session* attached = nullptr;                // the live connection, if any
  // False for a session restored from an old store record, until its client connects again:
  // the ACL then grants it nothing.
  bool identity_known = false;
  // The session has a record in the store (expiry interval above zero).
  bool persisted = false;
  bool paging_in = false;  // waiting for paged().ticket to read the next paged entries
  // A session without expiry has a record only while it holds a will: a crash ends the
  // connection without DISCONNECT, so the will must still go out after the restart.
  bool will_stored = false;
  std::uint32_t queued_qos0 = 0;  // QoS 0 messages in `queue` (queued while offline)
  // Output of the attached connection waits until the store's commit with this ticket: it
  // acknowledges something that must be durable first.
  std::uint64_t hold_ticket = 0;

  std::uint64_t dropped_messages = 0;  // lost to queue limits, for logs and metrics

  const std::string& client_id() const noexcept { return identity->client_id; }

  // What other shards read about the session (attached, persisted), shared with its
  // subscriptions in the index. Made by the first subscription: a session without any
  // allocates none.
  const presence_ptr& shared_presence() const {
    if (!presence_) {
      presence_ = new session_presence;
      presence_->online.store(attached != nullptr, std::memory_order_relaxed);
      presence_->persistent.store(persisted, std::memory_order_relaxed);
    }
    return presence_;
  }
  void mark_online(bool online) const noexcept {
    if (presence_) presence_->online.store(online, std::memory_order_relaxed);
  }
  void mark_persistent(bool persistent) const noexcept {
    if (presence_) presence_->persistent.store(persistent, std::memory_order_relaxed);
  }

  // More queued messages, on disk only. Allocated when the session first pages (most never do)
  // and kept until it ends.
  const paged_entries& paged() const noexcept {
    static const paged_entries none;
    return paged_ ? *paged_ : none;
  }
  paged_entries& paged_for_update() {
    if (!paged_) paged_ = std::make_unique<paged_entries>();
    return *paged_;
  }
  void forget_paged() noexcept { paged_.reset(); }

  bool has_queued() const noexcept {
    return !queue.empty() || paged().count() > 0 || !behind_paged.empty();
  }
  // Messages queued, wherever they wait.
  std::size_t queued_count() const noexcept {
    return queue.size() + paged().count() + behind_paged.size();
  }

 private:
  mutable presence_ptr presence_;
  std::unique_ptr<paged_entries> paged_;
};

}  // namespace tern::protocol
