#pragma once
// What a protocol::session needs from the broker core. The core (one per shard) implements it;
// component tests implement it with fakes. Every call happens on the session's shard thread.

#include <cstdint>
#include <optional>
#include <string>

#include "auth/access_control.hpp"
#include "codec/packets.hpp"
#include "protocol/limit_event.hpp"
#include "protocol/message.hpp"
#include "protocol/output_pool.hpp"
#include "protocol/session_state.hpp"
#include "protocol/traffic_stats.hpp"

namespace tern::protocol {

class session;

struct attach_result {
  session_state* state = nullptr;  // null when refused or migrating
  bool session_present = false;
  codec::reason_code refusal = codec::reason_code::success;
  std::optional<std::size_t> migrate_to;  // this client id lives on another shard
};

struct subscribe_result {
  codec::reason_code reason = codec::reason_code::success;  // granted QoS or a failure
  bool existed = false;  // a subscription with this filter was already there
};

enum class end_kind : std::uint8_t {
  normal,      // DISCONNECT 0x00: the will is discarded [MQTT-3.1.2-10]
  with_will,   // DISCONNECT 0x04 or any abnormal end: the will is published
  taken_over,  // another connection took the session
};

class broker_port {
 public:
  virtual ~broker_port() = default;

  // CONNECT accepted by the protocol rules: find or create the session, take it over from an
  // older connection, or say which shard hosts this client identifier. `client_id` may be
  // assigned by the core when empty.
  virtual attach_result attach(session& s, const codec::connect& c, std::string& client_id,
                               std::uint32_t expiry_interval, time_point now) = 0;
  // The connection ended (whatever the cause); the session stays or goes by its expiry.
  virtual void detach(session_state& state, end_kind kind, time_point now) = 0;

  // Routes a message from `state`'s client (or its will). The message is not shared yet: the
  // core may stamp it with its store identity.
  virtual void publish(session_state* publisher, mutable_message_ptr msg, time_point now) = 0;
  virtual subscribe_result subscribe(session_state& state, const codec::subscription& sub,
                                     std::optional<std::uint32_t> identifier) = 0;
  virtual bool unsubscribe(session_state& state, std::string_view filter) = 0;
  // Delivers the retained messages matching a new subscription to `s` (through deliver()).
  virtual void send_retained(session& s, const codec::subscription& sub,
                             std::optional<std::uint32_t> identifier, time_point now) = 0;

  // Authentication and authorisation. Null: every client and topic is allowed (tests, tools).
  virtual auth::access_control* access() { return nullptr; }
  // The shard hosting `client_id` when it is not this one: the CONNECT moves there before its
  // credentials are checked, so they are checked (and a failure counted) once.
  virtual std::optional<std::size_t> host_elsewhere(std::string_view /*client_id*/) {
    return std::nullopt;
  }
  // The client of `state` may publish to `topic` (its ACL's write permission).
  virtual bool may_publish(const session_state& /*state*/, std::string_view /*topic*/) {
    return true;
  }

  // Persistence of the delivery state. A core without a store ignores them.
  //
  // False while the store cannot write: QoS 1/2 publishes are refused, not acknowledged.
  virtual bool accepting_durable() const { return true; }
  // An inbound QoS 2 packet identifier starts (`awaiting` true) or ends waiting for PUBREL.
  virtual void inbound_qos2(session_state&, std::uint16_t /*packet_id*/, bool /*awaiting*/) {}
  // A QoS 2 message was sent for the first time with this packet identifier, a stored QoS 1
  // message with another identifier than stored_packet_id() gives, or a PUBREC came: the state
  // is stored before the client may see what follows.
  virtual void outbound_progress(session_state&, const inflight_message&, time_point /*now*/) {}
  // A message left the session: acknowledged, refused by the client, expired or dropped.
  virtual void outbound_done(session_state&, const outbound_message&) {}

  // Queue paging. Takes a stored message joining the session's queue out of memory: it waits on
  // disk only, behind everything queued. False when this core cannot (no store, clean session).
  virtual bool page_out(session_state&, const outbound_message&, time_point /*now*/) {
    return false;
  }
  // Brings paged messages back into the queue, in order. May finish later, once the store has
  // committed what it reads; the attached session then hears on_queue_refilled().
  virtual void page_in(session_state&, time_point /*now*/) {}

  // The counters of this core's shard; sessions and connections add to them.
  traffic_stats& traffic() noexcept { return traffic_; }
  // The shard's spare output: sessions encode into it, transports give it back once written.
  output_pool& outputs() noexcept { return outputs_; }

 private:
  traffic_stats traffic_;
  output_pool outputs_;
};

// Told when a session produced output outside of its own input handling (a delivery from
// another client, a takeover), so the transport schedules a flush.
class session_observer {
 public:
  virtual ~session_observer() = default;
  virtual void on_output_ready() = 0;
  // A configured limit refused or dropped something; `detail` says what, for the log.
  virtual void on_limit(limit_event /*event*/, std::string_view /*detail*/) {}
  // The client's address as the transport names it ("10.0.0.7", "::1"; empty when unknown):
  // failed logins are slowed per address.
  virtual std::string source_address() const { return {}; }
};

}  // namespace tern::protocol
