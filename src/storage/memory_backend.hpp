#pragma once
// A kv_backend in a std::map, for tests: the same ordering and batch semantics as RocksDB, and
// failures that a test can switch on to play a full disk.
//
// Thread: guarded by a mutex, so tests may inspect it while a committer writes.

#include <map>
#include <mutex>

#include "storage/kv_backend.hpp"

namespace tern::storage {

class memory_backend final : public kv_backend {
 public:
  write_status write(const write_batch& batch, durability mode) override;
  bool recover() override;
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& visit) override;
  bool read_range(std::string_view begin, std::string_view end,
                  const std::function<bool(std::string_view, std::string_view)>& visit) override;

  // While set, every write fails as on a full disk.
  void set_full(bool full);
  std::size_t writes() const;
  std::size_t key_count() const;
  std::map<bytes, bytes> contents() const;

 private:
  mutable std::mutex mutex_;
  std::map<bytes, bytes> data_;
  bool full_ = false;
  std::size_t writes_ = 0;
};

}  // namespace tern::storage
