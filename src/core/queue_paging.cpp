// Queue paging: the stored messages of an offline session's queue beyond max_queued_in_memory
// wait on disk only ('p' records, numbered in arrival order) and come back, a batch at a time,
// as the queue drains once the client is back. Memory holds the head of the queue and the count
// and bytes of the rest. An attached client's queue stays in memory (bounded by the session
// limits): paging what is about to be sent would only read it back at once. When its client
// leaves, what it holds beyond max_queued_in_memory goes to disk.
//
// A paged entry moves from its 'q' key to 'p' + session + seq in one batch (for a message still
// in the open batch the pair cancels: only the 'p' record is written), and back when it is read.
// Reading waits until the writes of the session's paged entries are durable (their ticket), so
// what the read finds is exactly what was paged. Message records shared by several entries stay
// on disk while paged entries refer to them (paged_messages).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "core/shard_core.hpp"
#include "protocol/message_queue.hpp"
#include "protocol/session.hpp"

namespace tern::core {

using namespace protocol;

bool shard_core::page_out(session_state& state, const outbound_message& out, time_point now) {
  if (!journal_.enabled() || !state.persisted || shared_.store == nullptr) return false;
  if (out.msg->reclaimer != nullptr) shared_.paged.page_out(out.msg);
  auto& paged = state.paged_for_update();
  journal_.page_out(state.id, paged.next, out, now);
  ++paged.next;
  paged.bytes += queued_cost(out);
  paged.ticket = journal_.open_ticket();
  request_flush();
  return true;
}

void shard_core::page_in(session_state& state, time_point now) {
  if (state.paged().count() == 0 || state.paging_in) return;
  if (!journal_.durable(state.paged().ticket)) {
    state.paging_in = true;
    awaiting_page_in_.push_back(state.id);
    journal_.request_barrier();
    request_flush();
    return;
  }
  load_paged(state, now);
}

message_ptr shard_core::read_message(std::uint64_t id, time_point now) {
  message_ptr msg;
  const auto key = storage::keys::of_message(id);
  shared_.store->read_range(key, storage::keys::of_message(id + 1),
                            [&](std::string_view k, std::string_view value) {
                              if (auto r = storage::decode_message(k, value)) {
                                msg = message_of(std::move(*r), shared_.reclaimer, now);
                              }
                              return false;
                            });
  return msg;
}

void shard_core::load_paged(session_state& state, time_point now) {
  auto& paged = state.paged_for_update();
  const auto room = shared_.settings.max_queued_in_memory > state.queue.size()
                        ? shared_.settings.max_queued_in_memory - state.queue.size()
                        : 1;
  std::vector<storage::paged_record> records;
  std::uint64_t last_seq = paged.first;
  bool damaged = false;
  const bool readable = shared_.store->read_range(
      storage::keys::of_paged(state.id, paged.first), storage::keys::of_paged(state.id, paged.next),
      [&](std::string_view key, std::string_view value) {
        if (auto r = storage::decode_paged(key, value)) {
          last_seq = r->seq;
          records.push_back(std::move(*r));
        } else {
          damaged = true;
          journal_.batch_erase(key);
        }
        return records.size() < room;
      });
  if (!readable) return;  // the store is failing: try again at the next pump
  if (damaged) spdlog::error("session {}: damaged paged queue entries dropped", state.client_id());

  // Shared message records, read in one pass over their id range: every read of the store
  // costs a sort of its write buffer, so one read per message would not do.
  std::unordered_map<std::uint64_t, storage::message_record> shared_records;
  std::uint64_t low = UINT64_MAX;
  std::uint64_t high = 0;
  for (const auto& r : records) {
    if (r.entry.message) continue;
    shared_records.emplace(r.entry.message_id, storage::message_record{});
    low = std::min(low, r.entry.message_id);
    high = std::max(high, r.entry.message_id);
  }
  if (!shared_records.empty()) {
    shared_.store->read_range(storage::keys::of_message(low), storage::keys::of_message(high + 1),
                              [&](std::string_view key, std::string_view value) {
                                auto m = storage::decode_message(key, value);
                                if (m) {
                                  auto it = shared_records.find(m->id);
                                  if (it != shared_records.end()) it->second = std::move(*m);
                                }
                                return true;
                              });
  }

  for (auto& r : records) {
    auto& entry = r.entry;
    message_ptr msg;
    if (entry.message) {
      msg = message_of(std::move(*entry.message), nullptr, now);
    } else {
      msg = shared_.paged.page_in(entry.message_id, [&]() -> message_ptr {
        auto it = shared_records.find(entry.message_id);
        if (it != shared_records.end() && it->second.id == entry.message_id) {
          return message_of(std::move(it->second), shared_.reclaimer, now);
        }
        return read_message(entry.message_id, now);
      });
    }
    outbound_message out;
    out.qos_level = entry.qos_level;
    out.retain = entry.retain;
    out.packet_id = entry.packet_id;  // a restored QoS 1 message paged again keeps its identifier
    out.subscription_ids = std::move(entry.subscription_ids);
    out.shared_filter = std::move(entry.shared_filter);
    out.stored = true;
    if (!msg) {
      spdlog::error("session {}: queued message {} lost: its record is missing", state.client_id(),
                    entry.message_id);
      journal_.batch_erase(storage::keys::of_paged(state.id, r.seq));
      continue;
    }
    out.msg = std::move(msg);
    const auto cost = queued_cost(out);
    paged.bytes = paged.bytes > cost ? paged.bytes - cost : 0;
    journal_.page_in(state.id, r.seq, out, now);
    append_loaded(state, std::move(out));
  }
  if (records.size() < room) {
    paged.first = paged.next;  // the rest of the range is empty (records lost to damage)
  } else {
    paged.first = last_seq + 1;
  }
  if (paged.count() == 0) {
    paged.bytes = 0;
    unpage_behind(state);
  }
  request_flush();
}

void shard_core::page_out_backlog(session_state& state, time_point now) {
  if (!journal_.enabled() || !state.persisted || shared_.store == nullptr) return;
  std::vector<outbound_message> backlog = take_behind_paged(state);
  if (state.paged().count() == 0) backlog = take_tail(state, shared_.settings.max_queued_in_memory);
  for (auto& out : backlog) {
    if (out.stored && out.shared_filter.empty() && page_out(state, out, now)) continue;
    for (const auto& dropped : enqueue(state, std::move(out), shared_.settings)) {
      drop_entry(state, dropped);  // not expected: it was counted there already
    }
  }
}

void shard_core::release_paged(session_state& state) {
  const auto& paged = state.paged();
  if (paged.count() == 0 || shared_.store == nullptr) return;
  // Entries still on their way to the store are found in the open batch's erase below; the
  // message records they refer to are counted here from what the store holds.
  shared_.store->read_range(
      storage::keys::of_paged(state.id, paged.first), storage::keys::of_paged(state.id, paged.next),
      [&](std::string_view key, std::string_view value) {
        auto r = storage::decode_paged(key, value);
        if (r && !r->entry.message && shared_.paged.release(r->entry.message_id)) {
          journal_.erase_message(r->entry.message_id);
        }
        return true;
      });
  auto [begin, end] = storage::keys::session_range(storage::keys::paged, state.id);
  journal_.batch_erase_range(begin, end);
  state.forget_paged();
  state.paging_in = false;
  request_flush();
}

}  // namespace tern::core
