#include "core/recovery.hpp"

#include <unordered_map>

#include "core/journal.hpp"

namespace tern::core {

namespace {

protocol::message_ptr rebuild(storage::message_record&& r, protocol::message_reclaimer* reclaimer,
                              protocol::time_point now) {
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

}  // namespace

void restore_broker(storage::snapshot&& snap, broker_shared& shared,
                    const std::vector<shard_core*>& cores, protocol::time_point now) {
  shared.next_id.store(snap.highest_id + 1);

  std::unordered_map<std::uint64_t, protocol::message_ptr> messages;
  messages.reserve(snap.messages.size());
  for (auto& [id, record] : snap.messages) {
    messages.emplace(id, rebuild(std::move(record), shared.reclaimer, now));
  }
  snap.messages.clear();
  for (const auto& r : snap.retained) shared.retained.set(messages.at(r.message_id));

  std::unordered_map<std::uint64_t, shard_core::restored_session> sessions;
  sessions.reserve(snap.sessions.size());
  for (auto& record : snap.sessions) {
    const auto id = record.session_id;
    sessions[id].record = std::move(record);
  }
  for (auto& sub : snap.subscriptions) sessions.at(sub.session_id).subscriptions.push_back(sub);
  for (auto& entry : snap.entries) {
    if (entry.message) {
      // Written with its only entry: no record of its own to delete later.
      messages.emplace(entry.message_id, rebuild(std::move(*entry.message), nullptr, now));
      entry.message.reset();
    }
    sessions.at(entry.session_id).entries.push_back(std::move(entry));
  }
  for (const auto& in : snap.inbound) sessions.at(in.session_id).inbound.push_back(in.packet_id);

  for (auto& [id, restored] : sessions) {
    const auto shard = owner_shard(restored.record.client_id, shared.shard_count);
    cores[shard]->restore(std::move(restored), messages, now);
  }
}

}  // namespace tern::core
