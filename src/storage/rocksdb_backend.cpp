#include "storage/rocksdb_backend.hpp"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

namespace tern::storage {

namespace fs = std::filesystem;

namespace {

rocksdb::Options store_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  // A crash can tear the last WAL record: recover everything before it.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Bounds the WAL replayed at start-up: older WAL files force a memtable flush.
  options.max_total_wal_size = 64ull << 20;
  options.write_buffer_size = 32ull << 20;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 4;
  options.OptimizeLevelStyleCompaction(64ull << 20);
  return options;
}

rocksdb::Slice slice(std::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

bool is_lock_error(const rocksdb::Status& s) {
  return s.IsIOError() && s.ToString().find("lock") != std::string::npos;
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

}  // namespace

rocksdb_backend::rocksdb_backend(const std::string& directory, open_mode mode)
    : directory_(directory) {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) {
    throw store_unavailable(
        fmt::format("cannot create data directory {}: {}", directory_, ec.message()));
  }
  const auto options = store_options();
  if (mode == open_mode::move_aside) {
    moved_to_ =
        fmt::format("{}.damaged-{}", fs::path(directory_).lexically_normal().string(), timestamp());
    if (moved_to_.find('/') == std::string::npos) moved_to_ = "./" + moved_to_;
    fs::rename(directory_, moved_to_, ec);
    if (ec) {
      throw store_unavailable(
          fmt::format("cannot move damaged store {} aside: {}", directory_, ec.message()));
    }
    fs::create_directories(directory_, ec);
  } else if (mode == open_mode::repair) {
    const auto repaired = rocksdb::RepairDB(directory_, options);
    if (!repaired.ok()) throw store_corrupt(fmt::format("repair failed: {}", repaired.ToString()));
  }
  rocksdb::DB* db = nullptr;
  const auto status = rocksdb::DB::Open(options, directory_, &db);
  if (!status.ok()) {
    if (is_lock_error(status)) {
      throw store_unavailable(fmt::format("data directory {} is in use by another process ({})",
                                          directory_, status.ToString()));
    }
    if (status.IsIOError() && status.ToString().find("ermission") != std::string::npos) {
      throw store_unavailable(
          fmt::format("cannot open store in {}: {}", directory_, status.ToString()));
    }
    throw store_corrupt(fmt::format("cannot open store in {}: {}", directory_, status.ToString()));
  }
  db_.reset(db);
}

rocksdb_backend::~rocksdb_backend() {
  if (db_) {
    // Everything acknowledged is in the WAL already; closing just stops the background work.
    db_->Close();
  }
}

write_status rocksdb_backend::write(const write_batch& batch, durability mode) {
  rocksdb::WriteBatch wb;
  for (const auto& op : batch.ops()) {
    switch (op.kind) {
      case write_batch::op_kind::put:
        wb.Put(slice(op.key), slice(op.value));
        break;
      case write_batch::op_kind::erase:
        wb.Delete(slice(op.key));
        break;
      case write_batch::op_kind::erase_range:
        wb.DeleteRange(slice(op.key), slice(op.value));
        break;
    }
  }
  rocksdb::WriteOptions options;
  options.sync = mode == durability::fsync;
  const auto status = db_->Write(options, &wb);
  if (status.ok()) return {};
  return write_status{false,
                      status.IsNoSpace() || status.ToString().find("space") != std::string::npos,
                      status.ToString()};
}

bool rocksdb_backend::recover() {
  const auto status = db_->Resume();
  if (!status.ok()) spdlog::debug("store still not writable: {}", status.ToString());
  return status.ok();
}

void rocksdb_backend::scan(std::string_view prefix,
                           const std::function<bool(std::string_view, std::string_view)>& visit) {
  rocksdb::ReadOptions options;
  options.verify_checksums = true;
  options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    const auto key = it->key();
    const auto value = it->value();
    if (!visit(std::string_view(key.data(), key.size()),
               std::string_view(value.data(), value.size()))) {
      return;
    }
  }
  if (!it->status().ok()) {
    throw store_corrupt(fmt::format("reading the store failed: {}", it->status().ToString()));
  }
}

std::uint64_t rocksdb_backend::disk_usage() {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace tern::storage
