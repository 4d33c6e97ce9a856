#include "storage/open_store.hpp"

#include <spdlog/spdlog.h>

namespace tern::storage {

namespace {

opened_store try_open(const std::string& directory, rocksdb_backend::open_mode mode) {
  opened_store s;
  s.backend = std::make_unique<rocksdb_backend>(directory, mode);
  s.contents = load_snapshot(*s.backend, s.cleanup);
  return s;
}

}  // namespace

opened_store open_store(const std::string& directory) {
  using mode = rocksdb_backend::open_mode;
  try {
    return try_open(directory, mode::normal);
  } catch (const store_corrupt& e) {
    spdlog::error("store in {} is damaged: {}; repairing it", directory, e.what());
  }
  try {
    auto s = try_open(directory, mode::repair);
    spdlog::warn("store in {} repaired: what the damaged files still held was recovered",
                 directory);
    return s;
  } catch (const store_corrupt& e) {
    spdlog::error("store in {} cannot be repaired: {}", directory, e.what());
  }
  auto s = try_open(directory, mode::move_aside);
  spdlog::critical(
      "DATA LOSS: the damaged store was moved to {}; the sessions, queued messages and retained "
      "messages it held are lost. Tern starts with an empty store.",
      s.backend->moved_to());
  return s;
}

}  // namespace tern::storage
