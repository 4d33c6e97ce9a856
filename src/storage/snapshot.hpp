#pragma once
// Reading the whole store back at start-up.
//
// Everything is read once, in key order; records that do not decode, and records whose owner is
// gone (an entry of a session that ended, a message no entry or retained topic refers to) are
// dropped and their keys returned for deletion, so leftovers of a crash never pile up.
//
// Thread: the starting thread, before the broker runs.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "storage/kv_backend.hpp"
#include "storage/records.hpp"
#include "storage/write_batch.hpp"

namespace tern::storage {

struct snapshot {
  std::vector<session_record> sessions;
  std::vector<subscription_record> subscriptions;
  std::vector<entry_record> entries;  // by session, then message id (arrival order)
  std::vector<paged_record> paged;    // by session, then paging order (after its entries)
  std::vector<inbound_record> inbound;
  std::vector<retained_record> retained;
  std::unordered_map<std::uint64_t, message_record> messages;
  std::uint64_t highest_id = 0;  // session and message ids continue after it
  std::size_t damaged = 0;       // records that did not decode
  std::size_t orphans = 0;       // records whose owner was gone
};

// Reads the store; fills `cleanup` with the keys to delete. Throws what the backend throws on
// damage it cannot read past.
snapshot load_snapshot(kv_backend& backend, write_batch& cleanup);

}  // namespace tern::storage
