#pragma once
// The state of an MQTT session that outlives its network connection [MQTT-4.1]: subscriptions,
// messages queued while offline, outbound QoS 1/2 messages in flight, inbound QoS 2 packet
// identifiers awaiting PUBREL, the will, and the expiry interval.
//
// Thread: owned by the core of the shard that hosts the client identifier; lent to the
// protocol::session of the current connection while one is attached.

#include <atomic>
#include <boost/container/deque.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "auth/acl_file.hpp"
#include "codec/packets.hpp"
#include "protocol/memory_ledger.hpp"
#include "protocol/message.hpp"

namespace tern::protocol {

class session;

struct subscription_record {
  codec::subscription_options options;
  std::optional<std::uint32_t> identifier;
};

// A message on its way to this session, with the per-subscriber delivery parameters.
struct outbound_message {
  message_ptr msg;
  codec::qos qos_level = codec::qos::at_most_once;  // min(published, granted)
  bool retain = false;                              // flag as sent to this subscriber
  // Read back from the store after a restart: the packet identifier a QoS 1 message may have
  // reached the client with before it; it goes again with this identifier and DUP. 0: new.
  std::uint16_t packet_id = 0;
  std::vector<std::uint32_t> subscription_ids;
  // Set when only a shared subscription matched: if this member leaves before acknowledging,
  // the message goes to another member of the group.
  std::string shared_filter;
  // The store holds an entry for this message in this session's queue (persistent sessions,
  // QoS 1/2): it goes when the delivery completes or the message is dropped.
  bool stored = false;
};

// The packet identifier a stored message is first sent with, derived from its store id: the
// store can tell it after a restart without a write per delivery. Its entry records another
// identifier only when this one was in use by another message in flight.
constexpr std::uint16_t stored_packet_id(std::uint64_t store_id) noexcept {
  return static_cast<std::uint16_t>(1 + store_id % 65'535);
}

struct inflight_message {
  outbound_message out;
  std::uint16_t packet_id = 0;
  bool pubrec_received = false;  // QoS 2: PUBREL sent, waiting for PUBCOMP
  // False for a message to resend after reconnection that waits for room in the client's
  // (possibly smaller) Receive Maximum; it keeps its packet identifier.
  bool awaiting_resend = false;
};

// What other shards may read about a session without touching it.
struct session_presence {
  std::atomic<bool> online{false};      // a connection is attached
  std::atomic<bool> persistent{false};  // the session has a record in the store
};

// Stored messages of an offline session's queue that wait on disk only, behind everything in
// `queue` (queue paging): on-disk sequence numbers [first, next), their bytes, and the store
// commit that must be durable before they can be read back.
struct paged_entries {
  std::uint64_t first = 0;
  std::uint64_t next = 0;
  std::size_t bytes = 0;
  std::uint64_t ticket = 0;
  bool loading = false;  // waiting for `ticket` to read the next ones
  std::size_t count() const noexcept { return static_cast<std::size_t>(next - first); }
};

struct session_state {
  std::string client_id;
  std::uint64_t id = 0;  // unique within the broker, also across restarts (store key)
  codec::protocol_version version = codec::protocol_version::v5;
  std::uint32_t expiry_interval = 0;  // seconds; 0xFFFFFFFF never
  std::map<std::string, subscription_record, std::less<>> subscriptions;  // by full filter

  // Boost's deque allocates nothing while empty (libstdc++'s takes ~530 bytes at once), and most
  // sessions have nothing queued or in flight most of the time.
  boost::container::deque<outbound_message> queue;  // not yet sent (offline, or window full)
  accounted_bytes queued_bytes;                     // counted towards max_memory
  std::size_t queued_qos0 = 0;  // QoS 0 messages among them (queued while offline)
  paged_entries paged;          // more queued messages, on disk only
  // Messages for the attached client that arrived while older ones were still paged: they wait
  // in memory behind the paged range (paging them would only read them back at once).
  boost::container::deque<outbound_message> behind_paged;
  boost::container::deque<inflight_message> inflight;  // sent, not acknowledged, in send order
  std::uint16_t next_packet_id = 1;
  std::unordered_set<std::uint16_t> inbound_qos2;  // received QoS 2 ids awaiting PUBREL

  // Who the attached (or last) client is, for ACL checks; null for a session restored from the
  // store until its client connects again.
  std::shared_ptr<const auth::client_identity> identity;

  std::unique_ptr<codec::will_message> will;  // most sessions have none (~560 bytes)
  std::optional<time_point> will_at;          // a will waiting for its delay
  std::optional<time_point> expires_at;       // set while no connection is attached
  session* attached = nullptr;                // the live connection, if any
  // Mirrors attached != nullptr and persisted for other shards.
  std::shared_ptr<session_presence> presence = std::make_shared<session_presence>();
  // The session has a record in the store (expiry interval above zero).
  bool persisted = false;
  // A session without expiry has a record only while it holds a will: a crash ends the
  // connection without DISCONNECT, so the will must still go out after the restart.
  bool will_stored = false;
  // Output of the attached connection waits until the store's commit with this ticket: it
  // acknowledges something that must be durable first.
  std::uint64_t hold_ticket = 0;

  std::uint64_t dropped_messages = 0;  // lost to queue limits, for logs and metrics

  bool has_queued() const noexcept {
    return !queue.empty() || paged.count() > 0 || !behind_paged.empty();
  }
  // Messages queued, wherever they wait.
  std::size_t queued_count() const noexcept {
    return queue.size() + paged.count() + behind_paged.size();
  }
};

}  // namespace tern::protocol
