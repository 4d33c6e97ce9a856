#pragma once
// The store changes one shard makes, gathered into the batch its next flush hands to the
// storage thread, and the tickets that say when they are durable.
//
// Model. Every change the shard makes to persistent state (sessions, subscriptions, queued and
// in-flight messages, inbound QoS 2 ids, retained messages) is appended to the open batch. The
// open batch has a ticket; a session whose acknowledgement depends on a change remembers the
// ticket (session_state::hold_ticket) and its connection writes nothing until that ticket is
// durable. Tickets complete in order, one commit at a time.
//
// Without a committer (memory mode) every method is a no-op and nothing is ever held.
//
// Thread: the shard thread.

#include <cstdint>
#include <utility>

#include "protocol/message.hpp"
#include "protocol/session_state.hpp"
#include "storage/group_committer.hpp"
#include "storage/records.hpp"
#include "storage/write_batch.hpp"

namespace tern::core {

class journal {
 public:
  explicit journal(storage::group_committer* committer) : committer_(committer) {}

  bool enabled() const noexcept { return committer_ != nullptr; }
  // False while the store cannot write (disk full): QoS 1/2 publishes are refused.
  bool accepting() const noexcept { return committer_ == nullptr || committer_->healthy(); }
  // True when the store has been failing long enough that output held for it is given up.
  bool stalled() const noexcept {
    return committer_ != nullptr && committer_->failing_for(std::chrono::seconds(1));
  }

  std::uint64_t open_ticket() const noexcept { return next_ticket_; }
  bool durable(std::uint64_t ticket) const noexcept { return ticket <= durable_; }
  std::uint64_t durable_ticket() const noexcept { return durable_; }
  void mark_durable(std::uint64_t ticket) noexcept {
    if (ticket > durable_) durable_ = ticket;
  }
  bool has_changes() const noexcept { return !batch_.empty() || barrier_; }
  // Makes the open ticket go to the store at the next flush even without changes, so that
  // waiting for it means waiting for everything submitted before.
  void request_barrier() noexcept { barrier_ = true; }
  // Closes the open batch: returns it with its ticket and opens the next one.
  std::pair<storage::write_batch, std::uint64_t> take() {
    barrier_ = false;
    auto taken = std::exchange(batch_, {});
    batch_.reserve(taken.byte_size());  // the next one is likely as large
    return {std::move(taken), next_ticket_++};
  }

  // The session record, with the will as it stands (`will` may differ from state.will while a
  // CONNECT is being accepted).
  void put_session(const protocol::session_state& state, const codec::will_message* will,
                   protocol::time_point now);
  // The session and everything it owns (but its paged queue entries with `keep_paged`: a
  // session that stops being persistent still has to deliver them).
  void erase_session(std::uint64_t session_id, bool keep_paged = false);
  // Only the session record, for a session that has nothing else stored (a clean session's
  // will): no range deletions, which RocksDB keeps around until compaction.
  void erase_session_record(std::uint64_t session_id);
  void put_subscription(std::uint64_t session_id, const std::string& filter,
                        const protocol::subscription_record& record);
  void erase_subscription(std::uint64_t session_id, std::string_view filter);
  void put_inbound(std::uint64_t session_id, std::uint16_t packet_id);
  void erase_inbound(std::uint64_t session_id, std::uint16_t packet_id);
  // `fresh`: the record is new (a new store id), so an erase in the same commit cancels it.
  void put_message(const protocol::message& msg, protocol::time_point now, bool fresh = false);
  void erase_message(std::uint64_t message_id);
  // The entry carries the message when the message has no record of its own (no reclaimer),
  // and `packet_id` when given, else the one `out` carries (a restored QoS 1 message).
  void put_entry(std::uint64_t session_id, const protocol::outbound_message& out,
                 protocol::time_point now, std::uint16_t packet_id = 0,
                 bool pubrec_received = false, bool fresh = false);
  void erase_entry(std::uint64_t session_id, std::uint64_t message_id);
  // A queued message moves from its entry to the session's paged sequence number `seq`, and back.
  void page_out(std::uint64_t session_id, std::uint64_t seq, const protocol::outbound_message& out,
                protocol::time_point now);
  void page_in(std::uint64_t session_id, std::uint64_t seq, const protocol::outbound_message& out,
               protocol::time_point now);
  // Any record by key (a damaged one), or a range of them.
  void batch_erase(std::string_view key) {
    if (enabled()) batch_.erase(key);
  }
  void batch_erase_range(std::string_view begin, std::string_view end) {
    if (enabled()) batch_.erase_range(begin, end);
  }
  // The topic's retained message as of change `seq` (message id 0: deleted).
  void set_retained(std::string_view topic, std::uint64_t message_id, std::uint64_t seq);

 private:
  storage::group_committer* committer_;
  storage::write_batch batch_;
  std::uint64_t next_ticket_ = 1;
  std::uint64_t durable_ = 0;
  bool barrier_ = false;
};

// The message a stored record describes; `reclaimer` deletes the record when it goes (null for
// a message that travels inside its only entry).
protocol::message_ptr message_of(storage::message_record&& r,
                                 protocol::message_reclaimer* reclaimer, protocol::time_point now);

// Wall-clock milliseconds for a steady-clock instant (the store outlives the steady clock).
std::int64_t to_wall_ms(protocol::time_point at, protocol::time_point now);
// And back; a past instant stays in the past.
protocol::time_point from_wall_ms(std::int64_t wall_ms, protocol::time_point now);

}  // namespace tern::core
