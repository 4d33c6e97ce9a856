#pragma once
// Rebuilding the broker's state from the store at start-up: messages first (each shared by
// every queue that holds it, as when it was published), then retained topics, then each session
// on the shard that hosts its client identifier.
//
// Thread: the starting thread, before any shard runs.

#include <vector>

#include "core/broker_shared.hpp"
#include "core/shard_core.hpp"
#include "storage/snapshot.hpp"

namespace tern::core {

void restore_broker(storage::snapshot&& snap, broker_shared& shared,
                    const std::vector<shard_core*>& cores, protocol::time_point now);

}  // namespace tern::core
