// The PUBLISH flows of protocol::session: inbound QoS 0/1/2 with topic aliases and exactly-once
// bookkeeping, outbound delivery through the in-flight window, acknowledgements both ways.

#include <fmt/format.h>

#include <algorithm>

#include "codec/encoder.hpp"
#include "codec/topic_rules.hpp"
#include "codec/utf8.hpp"
#include "protocol/message_queue.hpp"
#include "protocol/publish_heads.hpp"
#include "protocol/session.hpp"

namespace tern::protocol {

using namespace codec;

namespace {

// Payloads from this size on are written from the shared message instead of being copied.
constexpr std::size_t k_referenced_payload = 512;

std::string_view refusal_detail(reason_code reason) {
  switch (reason) {
    case reason_code::quota_exceeded:
      return "the broker cannot store messages right now";
    case reason_code::topic_name_invalid:
      return "topic beyond the broker's length or level limit";
    case reason_code::not_authorized:
      return "not authorized to publish to this topic";
    default:
      return "payload is not valid UTF-8";
  }
}

bool is_utf8_payload(const binary& payload) {
  return is_valid_mqtt_utf8(
      std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
}

}  // namespace

bool session::resolve_topic_alias(publish& p) {
  if (!p.props.topic_alias) return true;
  const auto alias = *p.props.topic_alias;
  if (alias == 0 || alias > settings_.topic_alias_maximum) {
    protocol_violation(
        reason_code::topic_alias_invalid,
        fmt::format("topic alias {} outside 1..{}", alias, settings_.topic_alias_maximum));
    return false;
  }
  // The table is allocated by the first alias: most clients never use one.
  auto& inbound = aliases().inbound;
  if (inbound.empty()) inbound.resize(settings_.topic_alias_maximum + 1u);
  if (!p.topic.empty()) {
    inbound[alias] = p.topic;
    return true;
  }
  if (inbound[alias].empty()) {
    protocol_violation(reason_code::protocol_error, fmt::format("unknown topic alias {}", alias));
    return false;
  }
  p.topic = inbound[alias];
  return true;
}

void session::handle_publish(publish&& p) {
  const bool v5 = version_ == protocol_version::v5;
  if (v5 && !p.props.subscription_identifiers.empty()) {
    // Only servers send Subscription Identifiers [MQTT-3.3.4-6].
    return protocol_violation(reason_code::protocol_error,
                              "PUBLISH from a client carries a subscription identifier");
  }
  if (!resolve_topic_alias(p)) return;

  reason_code reason = reason_code::success;
  if (check_topic_limits(p.topic, false) != topic_error::none) {
    // Well-formed but not accepted here: 0x90 in the acknowledgement; a QoS 0 message has
    // none, so MQTT 5 hears it in DISCONNECT. 3.1.1 has no way to refuse a message: close.
    if (!v5 || p.qos_level == qos::at_most_once) {
      return protocol_violation(reason_code::topic_name_invalid,
                                "topic beyond the broker's length or level limit");
    }
    reason = reason_code::topic_name_invalid;  // acknowledged, not routed
  }
  if (reason == reason_code::success && v5 && p.props.payload_format_indicator == 1 &&
      !is_utf8_payload(p.payload)) {
    if (p.qos_level == qos::at_most_once) {
      return protocol_violation(reason_code::payload_format_invalid,
                                "payload is not UTF-8 as its format indicator says");
    }
    reason = reason_code::payload_format_invalid;  // acknowledged, not routed
  }

  // A topic the ACL does not let this client write to: MQTT 5 hears 0x87 (QoS 1/2); earlier
  // levels have no way to be told, so the message is dropped and still acknowledged, as
  // Mosquitto does. QoS 0 is dropped silently.
  bool dropped = false;
  if (reason == reason_code::success && !port_.may_publish(*state_, p.topic)) {
    port_.traffic().drop(drop_reason::not_authorized);
    if (v5 && p.qos_level != qos::at_most_once) {
      reason = reason_code::not_authorized;
    } else {
      dropped = true;
    }
  }

  const bool accepted_before =
      p.qos_level == qos::exactly_once && state_->inbound_qos2.contains(p.packet_id);
  if (p.qos_level != qos::at_most_once && reason == reason_code::success && !dropped &&
      !accepted_before && !port_.accepting_durable()) {
    // The store cannot write: the message is refused rather than acknowledged and then lost.
    // MQTT 5 clients hear why; earlier levels get no acknowledgement and send it again later.
    if (!v5) return;
    reason = reason_code::quota_exceeded;
  }

  switch (p.qos_level) {
    case qos::at_most_once:
      if (!dropped) route(std::move(p));
      return;
    case qos::at_least_once: {
      const auto id = p.packet_id;
      if (reason == reason_code::success && !dropped) route(std::move(p));
      if (reason == reason_code::success) return send(bare_ack{packet_type::puback, id});
      puback ack;
      ack.packet_id = id;
      ack.reason = reason;
      if (is_error(reason)) ack.props.reason_string = problem_detail(refusal_detail(reason));
      return send(ack);
    }
    case qos::exactly_once: {
      const auto id = p.packet_id;
      auto& pending = state_->inbound_qos2;
      if (!pending.contains(id) && !dropped) {
        // Only MQTT 5 clients were told a Receive Maximum; 16-bit ids bound the rest.
        if (version_ == protocol_version::v5 && pending.size() >= settings_.receive_maximum) {
          return protocol_violation(reason_code::receive_maximum_exceeded,
                                    fmt::format("more than {} QoS 2 messages awaiting PUBREL",
                                                settings_.receive_maximum));
        }
        // Route once; a resend of this id before PUBREL is only acknowledged [MQTT-4.3.3-10].
        if (reason == reason_code::success) {
          pending.insert(id);
          port_.inbound_qos2(*state_, id, true);
          route(std::move(p));
        }
      }
      if (reason == reason_code::success) return send(bare_ack{packet_type::pubrec, id});
      pubrec ack;
      ack.packet_id = id;
      ack.reason = reason;
      if (is_error(reason)) ack.props.reason_string = problem_detail(refusal_detail(reason));
      return send(ack);
    }
  }
}

void session::route(publish&& p) {
  port_.publish(state_,
                make_message(std::move(p.topic), std::move(p.payload), p.qos_level, p.retain,
                             std::move(p.props), now_, state_->id),
                now_);
}

void session::handle_pubrel(std::uint16_t packet_id) {
  if (state_->inbound_qos2.erase(packet_id) != 0) {
    port_.inbound_qos2(*state_, packet_id, false);
    return send(bare_ack{packet_type::pubcomp, packet_id});
  }
  pubcomp comp;
  comp.packet_id = packet_id;
  comp.reason = reason_code::packet_identifier_not_found;
  comp.props.reason_string = problem_detail("no QoS 2 message with this packet identifier");
  send(comp);
}

void session::handle_puback(std::uint16_t packet_id) {
  auto& inflight = state_->inflight;
  const auto it = inflight.find(
      packet_id, [](const inflight_message& m) { return m.out.qos_level == qos::at_least_once; });
  if (it == inflight.end()) return;  // a late or duplicate PUBACK: nothing to do
  port_.outbound_done(*state_, it->out);
  inflight.erase(it);
  pump_queue();
}

void session::handle_pubrec(std::uint16_t packet_id, reason_code reason) {
  auto& inflight = state_->inflight;
  const auto it = inflight.find(
      packet_id, [](const inflight_message& m) { return m.out.qos_level == qos::exactly_once; });
  if (it == inflight.end()) {
    pubrel rel;
    rel.packet_id = packet_id;
    rel.reason = reason_code::packet_identifier_not_found;
    rel.props.reason_string = problem_detail("no QoS 2 message with this packet identifier");
    return send(rel);
  }
  if (is_error(reason)) {
    // The subscriber refused the message: the exchange ends here [MQTT-4.3.3-4].
    port_.outbound_done(*state_, it->out);
    inflight.erase(it);
    return pump_queue();
  }
  it->pubrec_received = true;
  port_.outbound_progress(*state_, *it, now_);  // stored before PUBREL goes out
  send(bare_ack{packet_type::pubrel, packet_id});
}

void session::handle_pubcomp(std::uint16_t packet_id) {
  auto& inflight = state_->inflight;
  const auto it =
      inflight.find(packet_id, [](const inflight_message& m) { return m.pubrec_received; });
  if (it == inflight.end()) return;
  port_.outbound_done(*state_, it->out);
  inflight.erase(it);
  pump_queue();
}

std::uint16_t session::allocate_packet_id() {
  auto& state = *state_;
  while (true) {
    const std::uint16_t id = state.next_packet_id;
    state.next_packet_id = static_cast<std::uint16_t>(id == 65'535 ? 1 : id + 1);
    if (!state.inflight.contains(id)) return id;
  }
}

void session::deliver(outbound_message out, time_point now) {
  now_ = now;
  if (phase_ != session_phase::connected || state_ == nullptr) return;
  if (out.msg->expired(now)) {
    port_.traffic().drop(drop_reason::expired);
    return port_.outbound_done(*state_, out);
  }
  if (out.qos_level == qos::at_most_once && state_->queued_qos0 > 0) {
    queue_message(std::move(out));  // behind QoS 0 queued offline, in order
  } else if (out.qos_level == qos::at_most_once) {
    // A slow consumer loses QoS 0 messages rather than growing the broker's memory.
    if (output_backlogged()) {
      port_.traffic().drop(drop_reason::slow_consumer);
      return;
    }
    if (shed_for_memory()) {
      port_.traffic().drop(drop_reason::memory_ceiling);
      return report_limit(limit_event::qos0_dropped_memory, client_id());
    }
    send_publish(out, 0, false);
  } else if (!state_->has_queued() && state_->inflight.size() < window() && !output_backlogged()) {
    start_delivery(std::move(out));
  } else {
    queue_message(std::move(out));
  }
  wake();
}

void session::queue_message(outbound_message out) {
  for (const auto& dropped : enqueue(*state_, std::move(out), settings_, &port_, now_)) {
    port_.traffic().drop(drop_reason::queue_full);
    port_.outbound_done(*state_, dropped);
  }
}

void session::start_delivery(outbound_message out) {
  // A message read back after a restart may have reached the client before: it goes again
  // with the identifier it had, and DUP [MQTT-4.4.0-1]. A stored message otherwise takes the
  // identifier its store id gives, which its entry implies without being written again.
  const bool resent = out.packet_id != 0;
  const std::uint16_t implied =
      resent ? out.packet_id : (out.stored ? stored_packet_id(out.msg->store_id) : 0);
  const auto id =
      implied != 0 && !state_->inflight.contains(implied) ? implied : allocate_packet_id();
  out.packet_id = 0;  // the in-flight entry holds it from now on
  if (!send_publish(out, id, resent)) return port_.outbound_done(*state_, out);
  state_->inflight.push_back(inflight_message{std::move(out), id, false, false});
  const auto& sent = state_->inflight.back();
  // QoS 2 stores its identifier before the client may see it; QoS 1 only when it is not the
  // implied one (rare: that one was in use).
  if (sent.out.qos_level == qos::exactly_once || (sent.out.stored && id != implied)) {
    port_.outbound_progress(*state_, sent, now_);
  }
}

void session::on_output_drained(time_point now) {
  now_ = now;
  if (phase_ == session_phase::connected) pump_queue();
}

void session::pump_queue() {
  if (state_ == nullptr) return;
  auto& state = *state_;
  resend_waiting();
  while (state.inflight.size() < window() && !output_backlogged()) {
    if (state.queue.empty()) {
      unpage_behind(state);
    }
    if (state.queue.empty()) {
      if (state.paged().count() == 0) break;
      port_.page_in(state, now_);
      if (state.queue.empty()) break;  // still on its way: on_queue_refilled() resumes
    }
    auto out = dequeue(state);
    if (out.msg->expired(now_)) {  // never started: drop [MQTT-3.3.2-5]
      port_.traffic().drop(drop_reason::expired);
      port_.outbound_done(state, out);
      continue;
    }
    if (out.qos_level == qos::at_most_once) {
      send_publish(out, 0, false);
      continue;
    }
    start_delivery(std::move(out));
  }
}

void session::on_queue_refilled(time_point now) {
  now_ = now;
  if (phase_ != session_phase::connected || state_ == nullptr) return;
  pump_queue();
  wake();
}

void session::resume_session() {
  // Unacknowledged messages go again, in their original order, before anything new
  // [MQTT-4.4.0-1]: PUBLISH with DUP, or PUBREL when PUBREC had arrived.
  // A message now too large for the client's Maximum Packet Size is dropped as if delivered.
  // No more unacknowledged PUBLISHes than the client's current Receive Maximum [MQTT-3.3.4-9]:
  // the rest wait, keeping their packet identifiers, and go as acknowledgements make room.
  for (auto& m : state_->inflight) m.awaiting_resend = !m.pubrec_received;
  std::size_t outstanding = 0;
  auto& inflight = state_->inflight;
  for (auto it = inflight.begin(); it != inflight.end();) {
    if (it->pubrec_received) {
      send(bare_ack{packet_type::pubrel, it->packet_id});
    } else if (outstanding < window()) {
      it->awaiting_resend = false;
      if (!send_publish(it->out, it->packet_id, true)) {
        port_.outbound_done(*state_, it->out);
        it = inflight.erase(it);  // now too large for the client: dropped as if delivered
        continue;
      }
    } else {
      resends_pending_ = true;
      ++it;
      continue;
    }
    ++outstanding;
    ++it;
  }
  pump_queue();
}

void session::resend_waiting() {
  if (!resends_pending_) return;
  resends_pending_ = false;
  auto& inflight = state_->inflight;
  std::size_t outstanding = 0;
  for (const auto& m : inflight) outstanding += m.awaiting_resend ? 0 : 1;
  for (auto it = inflight.begin(); it != inflight.end();) {
    if (!it->awaiting_resend) {
      ++it;
      continue;
    }
    if (outstanding >= window()) {
      resends_pending_ = true;
      break;
    }
    it->awaiting_resend = false;
    if (!send_publish(it->out, it->packet_id, true)) {
      port_.outbound_done(*state_, it->out);
      it = inflight.erase(it);  // now too large for the client: dropped as if delivered
      continue;
    }
    ++outstanding;
    ++it;
  }
}

session::alias_tables& session::aliases() {
  if (!aliases_) aliases_ = std::make_unique<alias_tables>();
  return *aliases_;
}

void session::apply_outbound_alias(publish& p) {
  if (client_topic_alias_maximum_ == 0) return;
  auto& outbound = aliases().outbound;
  if (auto it = outbound.find(p.topic); it != outbound.end()) {
    p.props.topic_alias = it->second;
    p.topic.clear();  // the alias alone names the topic [MQTT-3.3.2-12]
    return;
  }
  if (outbound.size() >= client_topic_alias_maximum_) return;
  // Sent with the topic this once, to define the alias; recorded once the packet is written.
  p.props.topic_alias = static_cast<std::uint16_t>(outbound.size() + 1);
}

bool session::send_publish(const outbound_message& out, std::uint16_t packet_id, bool dup) {
  const auto& msg = *out.msg;
  const auto version = version_.value_or(protocol_version::v3_1_1);
  // The common case shares one encoded head per fan-out; per-subscriber properties need their
  // own encoding.
  const bool per_subscriber =
      version == protocol_version::v5 &&
      (!out.subscription_ids.empty() || msg.expires_at || client_topic_alias_maximum_ > 0);
  auto& bytes = output().bytes;
  const std::size_t before = bytes.size();
  if (!per_subscriber) {
    const auto size =
        append_publish_head(out.msg, version, out.qos_level, out.retain, dup, packet_id, bytes);
    return finish_publish(out, before, size);
  }
  publish p;
  p.topic = msg.topic;  // the payload is appended or referenced below, never copied into p
  p.qos_level = out.qos_level;
  p.retain = out.retain;
  p.dup = dup;
  p.packet_id = packet_id;
  if (version_ == protocol_version::v5) {
    p.props = msg.properties();
    if (msg.expires_at) {
      // Forward the time left, rounded up so a message is never shown as already expired.
      const auto left = std::chrono::ceil<std::chrono::seconds>(*msg.expires_at - now_);
      p.props.message_expiry_interval =
          static_cast<std::uint32_t>(std::max<std::int64_t>(1, left.count()));
    }
    p.props.subscription_identifiers = out.subscription_ids;
    apply_outbound_alias(p);
  }
  const std::size_t size = encode_publish_head(p, msg.payload.size(), version, bytes);
  if (!finish_publish(out, before, size)) return false;
  if (p.props.topic_alias && !p.topic.empty()) {
    aliases().outbound.emplace(p.topic, *p.props.topic_alias);
  }
  return true;
}

bool session::finish_publish(const outbound_message& out, std::size_t head_start,
                             std::size_t size) {
  auto& bytes = output().bytes;
  if (size == 0 || (client_max_packet_size_ && size > *client_max_packet_size_)) {
    // Too large for this client: discard as if delivered [MQTT-3.1.2-25].
    bytes.resize(head_start);
    port_.traffic().drop(drop_reason::too_large);
    return false;
  }
  const auto& payload = out.msg->payload;
  auto& traffic = port_.traffic();
  const auto q = static_cast<std::size_t>(out.qos_level);
  traffic.packets_sent.add();
  traffic.publish_sent[q].add();
  traffic.payload_bytes_sent[q].add(payload.size());
  if (payload.size() >= k_referenced_payload) {
    // One copy of the payload serves every subscriber: the write gathers it from the message.
    output_->payloads.push_back({bytes.size(), out.msg});
    output_->referenced_bytes += payload.size();
  } else {
    bytes.insert(bytes.end(), payload.begin(), payload.end());
  }
  return true;
}

}  // namespace tern::protocol
