#pragma once
// Messages with a store record of their own that queue entries on disk still refer to.
//
// Model. A message written once for several subscribers ('m' record) is normally deleted from
// the store when its last in-memory reference goes (store_reclaimer). A queue entry paged out to
// disk drops its in-memory reference but still needs the record: this table counts such
// references per message, and remembers the message object while one is alive, so that entries
// coming back share it instead of reading it again. The record goes when neither in-memory nor
// paged references remain.
//
// Thread: any; one mutex. reclaimable() skips the lock while nothing is paged.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "protocol/message.hpp"

namespace tern::core {

class paged_messages {
 public:
  // An entry referring to `msg` leaves memory.
  void page_out(const protocol::message_ptr& msg);
  // An entry referring to `id` comes back: the message in memory, or what `load` reads (null
  // when it cannot).
  protocol::message_ptr page_in(std::uint64_t id,
                                const std::function<protocol::message_ptr()>& load);
  // A paged entry is deleted without coming back. True when the record must be deleted now.
  bool release(std::uint64_t id);
  // The last in-memory reference of `id` went. True when its record may be deleted.
  bool reclaimable(std::uint64_t id);

  std::size_t size() const;

 private:
  struct item {
    std::weak_ptr<const protocol::message> live;
    std::uint32_t paged = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, item> items_;
  std::atomic<std::size_t> count_{0};  // items_.size(), readable without the lock
};

}  // namespace tern::core
