// rocksdb_backend beyond the shared contract: what survives closing, and the open modes.

#include <gtest/gtest.h>

#include "backend_stores.hpp"
#include "store_files.hpp"

namespace tern::storage::test {
namespace {

using kv = std::vector<std::pair<bytes, bytes>>;

void write(kv_backend& b, const write_batch& batch, durability mode = durability::fsync) {
  const auto status = b.write(batch, mode);
  ASSERT_TRUE(status.ok) << status.message;
}

TEST(storage_rocksdb_backend, everything_written_survives_close_and_reopen) {
  temp_dir tmp;
  const auto dir = (tmp / "store").string();
  {
    rocksdb_backend b(dir);
    write_batch first;
    for (const char* k : {"a", "b", "c", "q1", "q2", "q3"}) first.put(k, k);
    write(b, first, durability::fsync);
    write_batch second;
    second.erase("b");
    second.erase_range("q", "q3");
    second.put("c", "changed");
    write(b, second, durability::os);
  }
  rocksdb_backend b(dir);
  EXPECT_EQ(scan_all(b), (kv{{"a", "a"}, {"c", "changed"}, {"q3", "q3"}}));
  EXPECT_TRUE(b.moved_to().empty());
}

TEST(storage_rocksdb_backend, reopening_many_times_keeps_tables_and_wal_together) {
  // Each open replays the WAL into a table file; later writes go to a new WAL.
  temp_dir tmp;
  const auto dir = (tmp / "store").string();
  for (std::uint64_t round = 0; round < 4; ++round) {
    rocksdb_backend b(dir);
    EXPECT_EQ(keys_of(b, "m").size(), round * 10);
    write_batch batch;
    for (std::uint64_t i = 0; i < 10; ++i) batch.put(keys::of_message(round * 10 + i), "v");
    write(b, batch);
  }
  rocksdb_backend b(dir);
  const auto all = keys_of(b, "m");
  ASSERT_EQ(all.size(), 40u);
  EXPECT_EQ(all.front(), keys::of_message(0));
  EXPECT_EQ(all.back(), keys::of_message(39));
  EXPECT_FALSE(files_ending(tmp / "store", ".sst").empty());
}

TEST(storage_rocksdb_backend, creates_missing_parent_directories) {
  temp_dir tmp;
  const auto dir = tmp / "a" / "b" / "store";
  {
    rocksdb_backend b(dir.string());
    write_batch batch;
    batch.put("k", "v");
    write(b, batch);
  }
  EXPECT_TRUE(fs::is_directory(dir));
  rocksdb_backend b(dir.string());
  EXPECT_EQ(scan_all(b), (kv{{"k", "v"}}));
}

TEST(storage_rocksdb_backend, disk_usage_counts_the_store_files) {
  temp_dir tmp;
  rocksdb_backend b((tmp / "store").string());
  const auto empty = b.disk_usage();
  write_batch batch;
  batch.put("k", bytes(1u << 20, 'x'));
  write(b, batch);
  EXPECT_GE(b.disk_usage(), empty + (1u << 20));  // in the WAL, uncompressed
}

TEST(storage_rocksdb_backend, repair_mode_keeps_a_healthy_store) {
  temp_dir tmp;
  const auto dir = (tmp / "store").string();
  {
    rocksdb_backend b(dir);
    write_batch batch;
    batch.put("k", "v");
    write(b, batch);
  }
  rocksdb_backend b(dir, rocksdb_backend::open_mode::repair);
  EXPECT_EQ(scan_all(b), (kv{{"k", "v"}}));
  EXPECT_TRUE(b.moved_to().empty());
}

TEST(storage_rocksdb_backend, move_aside_mode_starts_empty_and_keeps_the_old_files) {
  temp_dir tmp;
  const auto dir = tmp / "store";
  {
    rocksdb_backend b(dir.string());
    write_batch batch;
    batch.put("k", "v");
    write(b, batch);
  }
  std::string moved;
  {
    rocksdb_backend b(dir.string(), rocksdb_backend::open_mode::move_aside);
    EXPECT_TRUE(scan_all(b).empty());
    moved = b.moved_to();
  }
  ASSERT_FALSE(moved.empty());
  EXPECT_TRUE(moved.starts_with(dir.string() + ".damaged-")) << moved;
  EXPECT_EQ(moved_aside(dir), (std::vector<fs::path>{moved}));
  rocksdb_backend old(moved);  // the old store is intact where it went
  EXPECT_EQ(scan_all(old), (kv{{"k", "v"}}));
}

TEST(storage_rocksdb_backend, move_aside_of_a_directory_named_with_a_trailing_slash) {
  // "data/" must go to "data.damaged-<time>", not into "data/.damaged-<time>" (a move into
  // itself, which fails and would keep the broker down).
  temp_dir tmp;
  const auto dir = tmp / "store";
  { rocksdb_backend b(dir.string()); }
  rocksdb_backend b(dir.string() + "/", rocksdb_backend::open_mode::move_aside);
  EXPECT_TRUE(b.moved_to().starts_with(dir.string() + ".damaged-")) << b.moved_to();
  EXPECT_EQ(moved_aside(dir).size(), 1u);
  EXPECT_TRUE(fs::is_directory(dir));
}

}  // namespace
}  // namespace tern::storage::test
