#pragma once
// kv_backend on RocksDB, in the data directory.
//
// Opening never leaves the broker down for good: the WAL is replayed to the last consistent
// point (a torn tail from a crash is dropped); a store that RocksDB reports as corrupt is
// repaired; one that cannot be repaired is moved aside (to "<dir>.damaged-<time>") with a loud
// log line, and an empty store takes its place. Only a store held by another process, or a
// directory Tern may not write, stops the start.
//
// Thread: write() and recover() from the storage thread; scan() before the broker starts;
// read_range() from any thread (a shared lock keeps recover() from closing the store under it).

#include <memory>
#include <shared_mutex>
#include <stdexcept>
#include <string>

#include "storage/kv_backend.hpp"

namespace rocksdb {
class DB;
}

namespace tern::storage {

// The store cannot be used and must not be touched (locked by another process, no permission).
struct store_unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reading found damage that opening did not (a corrupt table file met during the scan).
struct store_corrupt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class rocksdb_backend final : public kv_backend {
 public:
  // Opens (creating it if needed) the store in `directory`. `repair` first runs RocksDB's
  // repair; `move_aside` gives up on the current contents. Throws store_unavailable, or
  // store_corrupt when the store is damaged and neither option was given.
  enum class open_mode : std::uint8_t { normal, repair, move_aside };
  rocksdb_backend(const std::string& directory, open_mode mode = open_mode::normal);
  ~rocksdb_backend() override;

  write_status write(const write_batch& batch, durability mode) override;
  bool recover() override;
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& visit) override;
  bool read_range(std::string_view begin, std::string_view end,
                  const std::function<bool(std::string_view, std::string_view)>& visit) override;
  std::uint64_t disk_usage() override;

  // Where a damaged store was moved, when it was.
  const std::string& moved_to() const noexcept { return moved_to_; }

 private:
  std::string directory_;
  std::string moved_to_;
  std::shared_mutex reopening_;  // held exclusively while recover() replaces db_
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace tern::storage
