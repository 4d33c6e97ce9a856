#include "core/journal.hpp"

#include <chrono>

namespace tern::core {

namespace {
std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::int64_t to_wall_ms(protocol::time_point at, protocol::time_point now) {
  return wall_now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(at - now).count();
}

protocol::time_point from_wall_ms(std::int64_t wall_ms, protocol::time_point now) {
  return now + std::chrono::milliseconds(wall_ms - wall_now_ms());
}

protocol::message_ptr message_of(storage::message_record&& r,
                                 protocol::message_reclaimer* reclaimer, protocol::time_point now) {
  auto msg = std::make_shared<protocol::message>();
  msg->topic = std::move(r.topic);
  msg->payload = std::move(r.payload);
  msg->qos_level = r.qos_level;
  msg->retain = r.retain;
  msg->set_properties(std::move(r.props));
  if (r.expires_at_ms != 0) msg->expires_at = from_wall_ms(r.expires_at_ms, now);
  msg->origin_session = r.origin_session;
  msg->store_id = r.id;
  msg->reclaimer = reclaimer;
  return msg;
}

void journal::put_session(const protocol::session_state& state, const codec::will_message* will,
                          protocol::time_point now) {
  if (!enabled()) return;
  storage::session_record r;
  r.session_id = state.id;
  r.client_id = state.client_id;
  r.version = state.version;
  r.expiry_interval = state.expiry_interval;
  if (state.expires_at) r.expires_at_ms = to_wall_ms(*state.expires_at, now);
  if (will != nullptr) r.will = *will;
  if (state.will_at) r.will_at_ms = to_wall_ms(*state.will_at, now);
  if (state.identity) {
    r.identity_known = true;
    r.username = state.identity->username;
  }
  batch_.put(storage::keys::of_session(state.id), storage::encode(r));
}

void journal::erase_session(std::uint64_t session_id, bool keep_paged) {
  if (!enabled()) return;
  for (const char kind : {storage::keys::entry, storage::keys::paged, storage::keys::subscription,
                          storage::keys::inbound}) {
    if (kind == storage::keys::paged && keep_paged) continue;
    auto [begin, end] = storage::keys::session_range(kind, session_id);
    batch_.erase_range(std::move(begin), std::move(end));
  }
  batch_.erase(storage::keys::of_session(session_id));
}

void journal::erase_session_record(std::uint64_t session_id) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_session(session_id));
}

void journal::put_subscription(std::uint64_t session_id, const std::string& filter,
                               const protocol::subscription_record& record) {
  if (!enabled()) return;
  storage::subscription_record r{session_id, filter, record.options, record.identifier};
  batch_.put(storage::keys::of_subscription(session_id, filter), storage::encode(r));
}

void journal::erase_subscription(std::uint64_t session_id, std::string_view filter) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_subscription(session_id, filter));
}

void journal::put_inbound(std::uint64_t session_id, std::uint16_t packet_id) {
  if (!enabled()) return;
  batch_.put(storage::keys::of_inbound(session_id, packet_id), {});
}

void journal::erase_inbound(std::uint64_t session_id, std::uint16_t packet_id) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_inbound(session_id, packet_id));
}

namespace {
storage::message_record record_of(const protocol::message& msg, protocol::time_point now) {
  storage::message_record r;
  r.id = msg.store_id;
  r.origin_session = msg.origin_session;
  r.topic = msg.topic;
  r.payload = msg.payload;
  r.qos_level = msg.qos_level;
  r.retain = msg.retain;
  if (msg.expires_at) r.expires_at_ms = to_wall_ms(*msg.expires_at, now);
  r.props = msg.properties();
  return r;
}
}  // namespace

void journal::put_message(const protocol::message& msg, protocol::time_point now, bool fresh) {
  if (!enabled()) return;
  const auto key = storage::keys::of_message(msg.store_id);
  const auto value = storage::encode(record_of(msg, now));
  if (fresh) {
    batch_.put_new(key, value);
  } else {
    batch_.put(key, value);
  }
}

void journal::erase_message(std::uint64_t message_id) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_message(message_id));
}

storage::entry_record journal::entry_of(std::uint64_t session_id,
                                        const protocol::outbound_message& out,
                                        protocol::time_point now) {
  storage::entry_record r;
  r.session_id = session_id;
  r.message_id = out.msg->store_id;
  r.qos_level = out.qos_level;
  r.retain = out.retain;
  r.packet_id = out.packet_id;
  r.subscription_ids = out.subscription_ids;
  r.shared_filter = out.shared_filter;
  // A message without a record of its own (see shard_core::publish) travels in its entry.
  if (out.msg->reclaimer == nullptr) r.message = record_of(*out.msg, now);
  return r;
}

void journal::page_out(std::uint64_t session_id, std::uint64_t seq,
                       const protocol::outbound_message& out, protocol::time_point now) {
  if (!enabled()) return;
  storage::paged_record r{seq, entry_of(session_id, out, now)};
  batch_.put_new(storage::keys::of_paged(session_id, seq), storage::encode(r));
  batch_.erase(storage::keys::of_entry(session_id, out.msg->store_id));
}

void journal::page_in(std::uint64_t session_id, std::uint64_t seq,
                      const protocol::outbound_message& out, protocol::time_point now) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_paged(session_id, seq));
  put_entry(session_id, out, now, 0, false, /*fresh=*/true);
}

void journal::put_entry(std::uint64_t session_id, const protocol::outbound_message& out,
                        protocol::time_point now, std::uint16_t packet_id, bool pubrec_received,
                        bool fresh) {
  if (!enabled()) return;
  auto r = entry_of(session_id, out, now);
  if (packet_id != 0) r.packet_id = packet_id;
  r.pubrec_received = pubrec_received;
  const auto key = storage::keys::of_entry(session_id, r.message_id);
  if (fresh) {
    batch_.put_new(key, storage::encode(r));
  } else {
    batch_.put(key, storage::encode(r));
  }
}

void journal::erase_entry(std::uint64_t session_id, std::uint64_t message_id) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_entry(session_id, message_id));
}

void journal::set_retained(std::string_view topic, std::uint64_t message_id, std::uint64_t seq) {
  if (!enabled()) return;
  batch_.merge_retained(storage::keys::of_retained(topic),
                        storage::encode_retained(message_id, seq));
}

}  // namespace tern::core
