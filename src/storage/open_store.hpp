#pragma once
// Opening the store at start-up so that the broker always comes back.
//
// First a normal open and a full read. If RocksDB reports damage, RocksDB's repair runs and the
// read is tried again (recovering what the damaged files still hold). If that fails too, the
// store is moved aside, the loss is logged loudly, and Tern starts with an empty one: a damaged
// store never keeps the broker down.
//
// Thread: the starting thread.

#include <memory>
#include <string>

#include "storage/rocksdb_backend.hpp"
#include "storage/snapshot.hpp"

namespace tern::storage {

struct opened_store {
  std::unique_ptr<rocksdb_backend> backend;
  snapshot contents;
  write_batch cleanup;  // leftovers to delete (see load_snapshot)
};

// Throws store_unavailable when the store cannot be used at all (locked, no permission).
opened_store open_store(const std::string& directory);

}  // namespace tern::storage
