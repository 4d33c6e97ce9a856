#pragma once
// State every shard of one broker shares: the subscription index, the retained messages and the
// settings. Shards reach each other only through shard_links.
//
// Thread: the members synchronise themselves; the object outlives every shard.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "auth/access_control.hpp"
#include "core/paged_messages.hpp"
#include "core/retained_store.hpp"
#include "core/subscription_index.hpp"
#include "protocol/session_state.hpp"
#include "protocol/settings.hpp"
#include "storage/group_committer.hpp"
#include "storage/kv_backend.hpp"
#include "storage/write_batch.hpp"

namespace tern::core {

// A message for a session hosted on another shard.
struct remote_delivery {
  std::uint64_t session = 0;
  protocol::outbound_message out;
};

// How a shard core hands work to other shards (implemented by the transport, which owns the
// event loops).
class shard_links {
 public:
  virtual ~shard_links() = default;
  // Runs target's core receive() with this batch on the target shard's thread.
  virtual void post_deliveries(std::size_t target, std::vector<remote_delivery>&& batch) = 0;
  // Asks for shard_core::flush_outboxes() to run on `shard` once its current work is done.
  virtual void schedule_outbox_flush(std::size_t shard) = 0;
  // Hands `batch` to the storage thread; once it is durable, shard_core::on_durable(ticket)
  // runs on `shard`'s thread. Only called when the broker has a store.
  virtual void commit(std::size_t shard, storage::write_batch&& batch, std::uint64_t ticket) = 0;
};

struct broker_shared {
  protocol::session_settings settings;
  std::size_t shard_count = 1;
  subscription_index subscriptions;
  retained_store retained;
  // Session and message identifiers, unique across restarts (continued from the store).
  std::atomic<std::uint64_t> next_id{1};
  // The store, when there is one (null in memory mode).
  storage::group_committer* committer = nullptr;
  protocol::message_reclaimer* reclaimer = nullptr;
  storage::kv_backend* store = nullptr;  // read back paged queue entries
  paged_messages paged;                  // message records paged entries refer to
  // Authentication and ACLs; null: everyone may do everything (tests, tools).
  auth::access_control* access = nullptr;
};

// The shard that hosts a client identifier's session: every connection with that identifier is
// moved there, so takeover, wills and expiry never cross threads.
std::size_t owner_shard(std::string_view client_id, std::size_t shard_count) noexcept;

}  // namespace tern::core
