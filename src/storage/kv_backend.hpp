#pragma once
// The ordered key-value store under Tern's storage: RocksDB in production, a map in tests.
//
// Thread: write() and recover() are called by the storage thread only; scan() only before the
// broker starts; read_range() from any thread, also while the storage thread writes.

#include <functional>
#include <string>
#include <string_view>

#include "storage/records.hpp"
#include "storage/write_batch.hpp"

namespace tern::storage {

// How far a committed write must have gone before the broker acknowledges what it covers.
enum class durability : std::uint8_t {
  fsync,  // on stable storage: survives power loss
  os,     // handed to the kernel: survives a crash of the broker, not of the machine
};

struct write_status {
  bool ok = true;
  bool no_space = false;  // the disk is full
  std::string message;
};

class kv_backend {
 public:
  virtual ~kv_backend() = default;
  // Applies the batch atomically.
  virtual write_status write(const write_batch& batch, durability mode) = 0;
  // After a failed write: tries to make the store writable again. True when it is.
  virtual bool recover() = 0;
  // Calls `visit` for every key starting with `prefix`, in key order; stops when it returns
  // false.
  virtual void scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) = 0;
  // Calls `visit` for every committed key in [begin, end), in key order; stops when it returns
  // false. Returns false when the store cannot be read now (closed after a failure).
  virtual bool read_range(
      std::string_view begin, std::string_view end,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) = 0;
  // Bytes the store occupies on disk (0 for memory).
  virtual std::uint64_t disk_usage() { return 0; }
};

}  // namespace tern::storage
