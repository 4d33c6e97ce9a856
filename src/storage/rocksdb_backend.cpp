#include "storage/rocksdb_backend.hpp"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "storage/append_memtable.hpp"

namespace tern::storage {

namespace fs = std::filesystem;

namespace {

// RocksDB's own diagnostics go to Tern's log, not to a LOG file in the data directory: a file
// that fails to grow on a full disk would leave RocksDB's logger in a state it asserts on.
class spdlog_logger final : public rocksdb::Logger {
 public:
  spdlog_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char text[1024];
    std::vsnprintf(text, sizeof text, format, ap);
    const auto spd = level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? spdlog::level::err
                     : level >= rocksdb::InfoLogLevel::WARN_LEVEL ? spdlog::level::warn
                                                                  : spdlog::level::debug;
    spdlog::log(spd, "rocksdb: {}", text);
  }
};

// Keeps the newer of a retained topic's values (records.hpp), whatever order they commit in.
class newer_retained_operator final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
             const rocksdb::Slice& value, std::string* merged,
             rocksdb::Logger* /*logger*/) const override {
    const std::string_view operand(value.data(), value.size());
    if (existing == nullptr) {
      merged->assign(operand);
    } else {
      merged->assign(newer_retained(std::string_view(existing->data(), existing->size()), operand));
    }
    return true;
  }
  const char* Name() const override { return "tern.newer_retained"; }
};

// RocksDB counts per-operation statistics (perf context) in thread-locals unless a thread says
// otherwise; in a flush, whose sort compares every key many times, the counting cost a tenth of
// the broker's CPU under persistent QoS 1 load. Flush and compaction threads are RocksDB's own:
// they turn it off when their first job starts.
class uncounted_background_jobs : public rocksdb::EventListener {
 public:
  void OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo&) override { stop_counting(); }
  void OnCompactionBegin(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override {
    stop_counting();
  }
  void OnSubcompactionBegin(const rocksdb::SubcompactionJobInfo&) override { stop_counting(); }

 private:
  static void stop_counting() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }
};

rocksdb::Options store_options() {
  rocksdb::Options options;
  options.merge_operator = std::make_shared<newer_retained_operator>();
  static const auto logger = std::make_shared<spdlog_logger>();
  options.info_log = logger;
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
  // One thread writes, and reads are rare (start-up, and queue paging, which reads in batches):
  // an append-only memtable, sorted when read, costs far less per record than the default skip
  // list, and sorts only the keys that arrived out of order (append_memtable.hpp).
  options.memtable_factory = std::make_shared<append_memtable_factory>();
  options.allow_concurrent_memtable_write = false;
  options.listeners.push_back(std::make_shared<uncounted_background_jobs>());
  return options;
}

rocksdb::Slice slice(std::string_view s) {
  // An empty view may have no data pointer; RocksDB passes it on to memcmp, which must not get
  // null.
  return rocksdb::Slice(s.empty() ? "" : s.data(), s.size());
}

bool is_lock_error(const rocksdb::Status& s) {
  return s.IsIOError() && s.ToString().find("lock") != std::string::npos;
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

// Table files or a MANIFEST but no CURRENT: RocksDB would take the directory for a new store and
// delete those files as obsolete (it only refuses when a WAL file is left).
bool lost_current(const fs::path& directory) {
  std::error_code ec;
  if (fs::exists(directory / "CURRENT", ec)) return false;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    const auto name = entry.path().filename().string();
    if (name.ends_with(".sst") || name.starts_with("MANIFEST-")) return true;
  }
  return false;
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
    auto base = fs::path(directory_).lexically_normal();
    if (!base.has_filename()) base = base.parent_path();  // "data/" goes to "data.damaged-..."
    moved_to_ = fmt::format("{}.damaged-{}", base.string(), timestamp());
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
  } else if (lost_current(directory_)) {
    throw store_corrupt(fmt::format("{} holds table files but no CURRENT file", directory_));
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
  // RocksDB counts per-operation statistics in a thread-local unless told not to.
  thread_local const bool perf_disabled = [] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return true;
  }();
  static_cast<void>(perf_disabled);
  if (!db_) return write_status{false, false, "store is closed after a failure"};
  rocksdb::WriteBatch wb(batch.byte_size() + 64);  // one allocation for the whole batch
  batch.for_each([&wb](const write_batch::op& op) {
    switch (op.kind) {
      case write_batch::op_kind::put:
      case write_batch::op_kind::put_new:
        wb.Put(slice(op.key), slice(op.value));
        break;
      case write_batch::op_kind::erase:
        wb.Delete(slice(op.key));
        break;
      case write_batch::op_kind::merge_retained:
        wb.Merge(slice(op.key), slice(op.value));
        break;
      case write_batch::op_kind::erase_range:
        wb.DeleteRange(slice(op.key), slice(op.value));
        break;
    }
  });
  rocksdb::WriteOptions options;
  options.sync = mode == durability::fsync;
  const auto status = db_->Write(options, &wb);
  if (status.ok()) return {};
  return write_status{false,
                      status.IsNoSpace() || status.ToString().find("space") != std::string::npos,
                      status.ToString()};
}

bool rocksdb_backend::recover() {
  // After a failed write RocksDB must not be written to again (its WAL writer is in an error
  // state), and Resume() does not clear every kind of failure: close the store and open it
  // again, which replays the WAL up to the last complete record and starts a new one.
  std::unique_lock lock(reopening_);
  if (db_) {
    db_->Close();
    db_.reset();
  }
  rocksdb::DB* db = nullptr;
  const auto status = rocksdb::DB::Open(store_options(), directory_, &db);
  if (!status.ok()) {
    spdlog::debug("store still not writable: {}", status.ToString());
    return false;
  }
  db_.reset(db);
  return true;
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

bool rocksdb_backend::read_range(
    std::string_view begin, std::string_view end,
    const std::function<bool(std::string_view, std::string_view)>& visit) {
  std::shared_lock lock(reopening_);
  if (!db_) return false;
  const rocksdb::Slice upper = slice(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper;  // lets RocksDB skip deleted keys past the range
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
  for (it->Seek(slice(begin)); it->Valid(); it->Next()) {
    const auto key = it->key();
    const auto value = it->value();
    if (!visit(std::string_view(key.data(), key.size()),
               std::string_view(value.data(), value.size()))) {
      break;
    }
  }
  if (!it->status().ok()) {
    spdlog::error("reading the store failed: {}", it->status().ToString());
    return false;
  }
  return true;
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
