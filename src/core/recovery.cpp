#include "core/recovery.hpp"

#include <unordered_map>

#include "core/journal.hpp"

namespace tern::core {

void restore_broker(storage::snapshot&& snap, broker_shared& shared,
                    const std::vector<shard_core*>& cores, protocol::time_point now) {
  shared.next_id.store(snap.highest_id + 1);

  std::unordered_map<std::uint64_t, protocol::message_ptr> messages;
  messages.reserve(snap.messages.size());
  for (auto& [id, record] : snap.messages) {
    messages.emplace(id, message_of(std::move(record), shared.reclaimer, now));
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
    // A QoS 1 message of a session's queue may have been sent before the crash: which ones were
    // is not written (a write per delivery). Each goes again, with DUP, with the identifier it
    // would have had: the one its entry names, else the one its store id gives. Paged entries
    // (below) were paged before being sent: they keep what their record names.
    if (entry.qos_level == codec::qos::at_least_once && entry.packet_id == 0) {
      entry.packet_id = protocol::stored_packet_id(entry.message_id);
    }
    if (entry.message) {
      // Written with its only entry: no record of its own to delete later.
      messages.emplace(entry.message_id, message_of(std::move(*entry.message), nullptr, now));
      entry.message.reset();
    }
    sessions.at(entry.session_id).entries.push_back(std::move(entry));
  }
  // Paged entries join the others: a crash may have cut a move to disk short, so the queue is
  // put back together in message id order (which is every publisher's order) and paged anew.
  for (auto& paged : snap.paged) {
    auto& entry = paged.entry;
    if (entry.message) {
      messages.emplace(entry.message_id, message_of(std::move(*entry.message), nullptr, now));
      entry.message.reset();
    }
    auto& restored = sessions.at(entry.session_id);
    restored.had_paged = true;
    restored.entries.push_back(std::move(entry));
  }
  for (const auto& in : snap.inbound) sessions.at(in.session_id).inbound.push_back(in.packet_id);

  for (auto& [id, restored] : sessions) {
    const auto shard = owner_shard(restored.record.client_id, shared.shard_count);
    cores[shard]->restore(std::move(restored), messages, now);
  }
}

}  // namespace tern::core
