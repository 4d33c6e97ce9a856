#pragma once
// The kv_backend implementations under one interface, so one set of tests states the contract
// they all keep.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/memory_backend.hpp"
#include "storage/rocksdb_backend.hpp"
#include "temp_dir.hpp"

namespace tern::storage::test {

struct memory_store {
  static constexpr const char* name = "memory";
  memory_backend backend;
  kv_backend& get() { return backend; }
};

struct rocksdb_store {
  static constexpr const char* name = "rocksdb";
  temp_dir dir;
  std::unique_ptr<rocksdb_backend> backend =
      std::make_unique<rocksdb_backend>((dir / "store").string());
  kv_backend& get() { return *backend; }
};

// Everything under `prefix`, in the order scan() visits it.
inline std::vector<std::pair<bytes, bytes>> scan_all(kv_backend& backend,
                                                     std::string_view prefix = {}) {
  std::vector<std::pair<bytes, bytes>> out;
  backend.scan(prefix, [&](std::string_view key, std::string_view value) {
    out.emplace_back(bytes(key), bytes(value));
    return true;
  });
  return out;
}

inline std::vector<bytes> keys_of(kv_backend& backend, std::string_view prefix = {}) {
  std::vector<bytes> out;
  for (auto& [key, value] : scan_all(backend, prefix)) out.push_back(key);
  return out;
}

}  // namespace tern::storage::test
