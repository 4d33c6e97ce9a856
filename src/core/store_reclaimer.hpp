#pragma once
// Deletes the store record of a message once no queue, in-flight window or retained topic holds
// it in memory. On a shard thread the deletion joins that shard's open batch, so it commits with
// the change that dropped the last reference (a retained message replaced by its successor goes
// in the same atomic write); on any other thread it goes straight to the storage thread.
//
// Thread: any. Must outlive every message that names it.

#include <atomic>

#include "core/journal.hpp"
#include "core/paged_messages.hpp"
#include "protocol/message.hpp"
#include "storage/group_committer.hpp"

namespace tern::core {

class store_reclaimer final : public protocol::message_reclaimer {
 public:
  explicit store_reclaimer(storage::group_committer& committer) : committer_(committer) {}

  void reclaim(std::uint64_t store_id) noexcept override;
  // The journal of the shard whose thread this is (null to unbind).
  static void bind_thread(journal* j) noexcept;
  // From now on nothing is deleted: at shutdown messages leave memory, not the store.
  void disable() noexcept { enabled_.store(false); }
  // Records that paged queue entries still refer to are kept (set before the broker runs).
  void keep_paged(paged_messages* paged) noexcept { paged_ = paged; }

 private:
  storage::group_committer& committer_;
  std::atomic<bool> enabled_{true};
  paged_messages* paged_ = nullptr;
};

}  // namespace tern::core
