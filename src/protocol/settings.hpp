#pragma once
// Protocol limits that the broker configuration hands to every session.

#include <chrono>
#include <cstdint>
#include <string>

#include "codec/types.hpp"

namespace tern::protocol {

enum class queue_full_policy : std::uint8_t { drop_new, drop_oldest };

struct session_settings {
  // Largest packet accepted from a client, fixed header included; announced in CONNACK (MQTT 5).
  std::uint32_t max_packet_size = 1'048'576;
  // A socket that sends no complete CONNECT within this time is closed.
  std::chrono::milliseconds connect_timeout{10'000};
  // Highest keep-alive a client may use. MQTT 5 clients are told the lower value through Server
  // Keep Alive; 3.1/3.1.1 clients asking for more are refused, as Mosquitto does.
  std::uint16_t max_keep_alive = 65'535;
  // MQTT 3.1 limits client identifiers to 23 bytes; accept longer ones when false.
  bool strict_v31_client_id_length = true;

  // QoS 2 messages a client may have awaiting PUBREL; announced as Receive Maximum.
  std::uint16_t receive_maximum = 1024;
  // QoS 1/2 messages Tern keeps in flight towards one client (also bounded by the client's
  // Receive Maximum for MQTT 5).
  std::uint16_t max_inflight = 256;
  // Topic aliases a client may define; announced as Topic Alias Maximum. 0 disables them.
  std::uint16_t topic_alias_maximum = 64;
  // Subscriptions one session may hold; beyond it SUBSCRIBE gets 0x97 (MQTT 5) / 0x80.
  std::size_t max_subscriptions_per_session = 10'000;
  // Longest session expiry granted, seconds. 3.1.1 persistent sessions get this value.
  std::uint32_t max_session_expiry = 14 * 24 * 3600;
  // Per-session queue of messages waiting for delivery (offline, or window full).
  std::size_t max_queued_messages = 1000;
  std::size_t max_queued_bytes = 64 * 1024 * 1024;
  // With a store, stored (QoS 1/2) messages of a persistent session queue beyond this many wait
  // on disk only and come back as the queue drains: a large offline backlog costs no memory.
  std::size_t max_queued_in_memory = 100;
  queue_full_policy queue_policy = queue_full_policy::drop_new;
  // Encoded bytes waiting for a slow client beyond which Tern stops reading from it, sends its
  // QoS 1/2 messages to the session queue instead, and drops its QoS 0 messages.
  std::size_t max_output_buffer = 1024 * 1024;
  // Queue QoS 0 messages for offline persistent sessions too.
  bool queue_qos0_offline = false;

  // Topic names (PUBLISH, will) and filters (SUBSCRIBE) beyond these are refused: a topic costs
  // one trie level per '/' level, in memory and on every match.
  std::size_t max_topic_length = 65'535;  // bytes
  std::size_t max_topic_levels = 128;
  // Ceiling on the bytes Tern accounts (queued messages and output buffers, see memory_ledger);
  // above it QoS 0 messages for slow consumers are dropped and new connections refused. 0 = off.
  std::size_t max_memory = 0;
  // A client whose output stays at max_output_buffer this long is disconnected. 0 = never.
  std::chrono::milliseconds slow_consumer_timeout{60'000};

  // When set, new connections are redirected: MQTT 5 clients get CONNACK 0x9C (use another
  // server) or 0x9D (server moved) with this Server Reference; earlier levels get "server
  // unavailable". For draining a node.
  std::string server_reference;
  bool server_moved = false;
};

}  // namespace tern::protocol
