#include "core/journal.hpp"

#include <chrono>
#include <optional>

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
  r.client_id = state.client_id();
  r.version = state.version;
  r.expiry_interval = state.expiry_interval;
  if (state.expires_at) r.expires_at_ms = to_wall_ms(*state.expires_at, now);
  if (will != nullptr) r.will = *will;
  if (state.will_at) r.will_at_ms = to_wall_ms(*state.will_at, now);
  if (state.identity_known) {
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

// The stored form of a live message, viewed rather than copied.
storage::message_view view_of(const protocol::message& msg, protocol::time_point now) {
  return storage::message_view{
      msg.origin_session, msg.qos_level,
      msg.retain,         msg.expires_at ? to_wall_ms(*msg.expires_at, now) : 0,
      msg.topic,          msg.payload,
      &msg.properties()};
}

// Calls fn(const storage::entry_view&) for `out` as a session's entry.
template <typename Fn>
void with_entry(const protocol::outbound_message& out, protocol::time_point now,
                std::uint16_t packet_id, bool pubrec_received, Fn&& fn) {
  std::optional<storage::message_view> message;
  // A message without a record of its own (see shard_core::publish) travels in its entry.
  if (out.msg->reclaimer == nullptr) message = view_of(*out.msg, now);
  fn(storage::entry_view{out.qos_level, out.retain, packet_id != 0 ? packet_id : out.packet_id,
                         pubrec_received, out.subscription_ids, out.shared_filter,
                         message ? &*message : nullptr});
}

}  // namespace

void journal::put_message(const protocol::message& msg, protocol::time_point now, bool fresh) {
  if (!enabled()) return;
  const auto message = view_of(msg, now);
  batch_.put_encoded(storage::keys::of_message(msg.store_id), fresh,
                     [&message](std::string& value) { storage::encode_message(message, value); });
}

void journal::erase_message(std::uint64_t message_id) {
  if (!enabled()) return;
  batch_.erase(storage::keys::of_message(message_id));
}

void journal::page_out(std::uint64_t session_id, std::uint64_t seq,
                       const protocol::outbound_message& out, protocol::time_point now) {
  if (!enabled()) return;
  const auto message_id = out.msg->store_id;
  with_entry(out, now, 0, false, [&](const storage::entry_view& entry) {
    batch_.put_encoded(
        storage::keys::of_paged(session_id, seq), /*is_new=*/true,
        [&](std::string& value) { storage::encode_paged(message_id, entry, value); });
  });
  erase_entry(session_id, message_id);
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
  // Encoded from the live message straight into the batch: no record copied on the way.
  const auto key = storage::keys::entry_key(session_id, out.msg->store_id);
  with_entry(out, now, packet_id, pubrec_received, [&](const storage::entry_view& entry) {
    batch_.put_encoded(storage::keys::key_view(key), fresh,
                       [&entry](std::string& value) { storage::encode_entry(entry, value); });
  });
}

void journal::erase_entry(std::uint64_t session_id, std::uint64_t message_id) {
  if (!enabled()) return;
  batch_.erase(storage::keys::key_view(storage::keys::entry_key(session_id, message_id)));
}

void journal::set_retained(std::string_view topic, std::uint64_t message_id, std::uint64_t seq) {
  if (!enabled()) return;
  batch_.merge_retained(storage::keys::of_retained(topic),
                        storage::encode_retained(message_id, seq));
}

}  // namespace tern::core
