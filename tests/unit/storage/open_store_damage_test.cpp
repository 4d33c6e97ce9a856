// open_store on stores damaged on purpose: it opens anyway, keeping what the damage spared.
//
// Every store starts the same way (make_store): sessions 1..100 in a table file (written, then
// replayed into a table when the store reopened) and sessions 101..150 in the WAL only.

#include <gtest/gtest.h>

#include <fstream>

#include "log_capture.hpp"
#include "storage/open_store.hpp"
#include "store_files.hpp"
#include "temp_dir.hpp"

namespace tern::storage::test {
namespace {

constexpr std::uint64_t k_in_table = 100;
constexpr std::uint64_t k_in_wal = 50;

class storage_open_store_damage : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      rocksdb_backend b(store_.string());
      write_sessions(b, 1, k_in_table);
    }
    {
      rocksdb_backend b(store_.string());  // replays the WAL into a table file
      write_sessions(b, k_in_table + 1, k_in_wal);
    }
    ASSERT_EQ(files_ending(store_, ".sst").size(), 1u);
    ASSERT_EQ(files_ending(store_, ".log").size(), 1u);
    ASSERT_GT(fs::file_size(table()), 0u);
    ASSERT_GT(fs::file_size(wal()), 0u);
  }

  fs::path table() const { return files_ending(store_, ".sst").at(0); }
  fs::path wal() const { return files_ending(store_, ".log").at(0); }

  opened_store open() {
    auto s = open_store(store_.string());
    EXPECT_EQ(s.contents.damaged, 0u);
    EXPECT_EQ(s.contents.orphans, 0u);
    return s;
  }

  bool repaired() const { return log_.contains("repaired"); }
  bool moved() const { return log_.contains("DATA LOSS") || !moved_aside(store_).empty(); }

  temp_dir tmp_;
  fs::path store_ = tmp_ / "store";
  log_capture log_;
};

TEST_F(storage_open_store_damage, an_undamaged_store_opens_whole_without_repair) {
  const auto s = open();
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table + k_in_wal));
  EXPECT_TRUE(s.backend->moved_to().empty());
  EXPECT_FALSE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_FALSE(fs::exists(store_ / "lost"));
}

TEST_F(storage_open_store_damage, garbage_in_a_table_block_is_repaired_and_the_wal_survives) {
  // The block checksum fails only when the scan reads the block, after a normal open.
  scribble(table(), 100, 200);
  const auto s = open();
  EXPECT_TRUE(repaired()) << log_.all();
  EXPECT_TRUE(log_.contains("checksum mismatch")) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_TRUE(s.backend->moved_to().empty());
  // RocksDB's repair sets a table with a bad block aside whole (into lost/): every session in it
  // is gone, those in its undamaged second data block included. The WAL's are all back.
  EXPECT_EQ(session_ids(s.contents), id_range(k_in_table + 1, k_in_wal));
  EXPECT_EQ(files_ending(store_ / "lost", ".sst").size(), 1u);
}

TEST_F(storage_open_store_damage, a_repaired_store_reopens_without_another_repair) {
  scribble(table(), 100, 200);
  open();
  log_capture second;
  const auto s = open();
  EXPECT_FALSE(second.contains("repair")) << second.all();
  EXPECT_EQ(session_ids(s.contents), id_range(k_in_table + 1, k_in_wal));
}

TEST_F(storage_open_store_damage, a_table_overwritten_whole_is_repaired_and_the_wal_survives) {
  // A bad footer fails the normal open already.
  scribble_all(table());
  const auto s = open();
  EXPECT_TRUE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(k_in_table + 1, k_in_wal));
  EXPECT_EQ(files_ending(store_ / "lost", ".sst").size(), 1u);
}

TEST_F(storage_open_store_damage, garbage_current_is_repaired_with_nothing_lost) {
  scribble_all(store_ / "CURRENT");
  const auto s = open();
  EXPECT_TRUE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table + k_in_wal));
}

TEST_F(storage_open_store_damage, missing_current_is_repaired_with_nothing_lost) {
  // RocksDB refuses to create a new store over an existing WAL: the repair takes over.
  fs::remove(store_ / "CURRENT");
  const auto s = open();
  EXPECT_TRUE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table + k_in_wal));
}

TEST_F(storage_open_store_damage, missing_current_and_wal_keep_the_tables) {
  // Without CURRENT and WAL, RocksDB would take the directory for a new store and delete the
  // table files as obsolete: the store must be repaired instead.
  fs::remove(store_ / "CURRENT");
  fs::remove(wal());
  const auto s = open();
  EXPECT_TRUE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table));
}

TEST_F(storage_open_store_damage, missing_manifest_is_repaired_with_nothing_lost) {
  const auto manifests = files_starting(store_, "MANIFEST-");
  ASSERT_FALSE(manifests.empty());
  for (const auto& m : manifests) fs::remove(m);
  const auto s = open();
  EXPECT_TRUE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table + k_in_wal));
}

TEST_F(storage_open_store_damage, a_torn_wal_tail_loses_only_the_torn_write) {
  cut_tail(wal(), 10);  // into the last record: a crash in the middle of a write
  const auto s = open();
  EXPECT_FALSE(repaired()) << log_.all();  // point-in-time recovery, no repair needed
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table + k_in_wal - 1));
}

TEST_F(storage_open_store_damage, garbage_after_the_wal_tail_loses_nothing) {
  append_garbage(wal(), 100);
  const auto s = open();
  EXPECT_FALSE(repaired()) << log_.all();
  EXPECT_FALSE(moved());
  EXPECT_EQ(session_ids(s.contents), id_range(1, k_in_table + k_in_wal));
}

TEST_F(storage_open_store_damage, garbage_inside_the_wal_keeps_every_write_before_it) {
  const auto size = fs::file_size(wal());
  scribble(wal(), size / 2, 20);
  std::set<std::uint64_t> ids;
  {
    auto s = open();
    EXPECT_FALSE(moved());
    // Point-in-time recovery: the writes before the damage, none after it (a prefix, no holes).
    ids = session_ids(s.contents);
    ASSERT_FALSE(ids.empty());
    const auto last = *ids.rbegin();
    EXPECT_EQ(ids, id_range(1, last));
    EXPECT_GT(last, k_in_table);
    EXPECT_LT(last, k_in_table + k_in_wal);
    write_sessions(*s.backend, 1000, 1);  // the store goes on from there
  }
  ids.insert(1000);
  EXPECT_EQ(session_ids(open().contents), ids);
}

TEST_F(storage_open_store_damage, a_store_that_cannot_be_repaired_is_moved_aside) {
  // A directory where CURRENT should be: the open fails and so does the repair, which cannot
  // write a new CURRENT.
  fs::remove(store_ / "CURRENT");
  fs::create_directories(store_ / "CURRENT" / "x");
  const auto old_table = table().filename();
  std::string moved_to;
  {
    auto s = open_store(store_.string());
    moved_to = s.backend->moved_to();
    EXPECT_TRUE(log_.contains("cannot be repaired")) << log_.all();
    EXPECT_TRUE(log_.contains("DATA LOSS")) << log_.all();
    ASSERT_FALSE(moved_to.empty());
    EXPECT_TRUE(s.contents.sessions.empty());
    EXPECT_TRUE(s.cleanup.empty());
    write_sessions(*s.backend, 500, 3);  // the new store works
  }
  EXPECT_TRUE(moved_to.starts_with(store_.string() + ".damaged-")) << moved_to;
  EXPECT_EQ(moved_aside(store_), (std::vector<fs::path>{moved_to}));
  EXPECT_TRUE(fs::exists(fs::path(moved_to) / old_table));  // the old data is kept for rescue
  EXPECT_TRUE(fs::is_directory(fs::path(moved_to) / "CURRENT"));

  const auto again = open_store(store_.string());  // and it is a store like any other
  EXPECT_EQ(session_ids(again.contents), id_range(500, 3));
  EXPECT_TRUE(again.backend->moved_to().empty());
  EXPECT_EQ(moved_aside(store_).size(), 1u);
}

TEST_F(storage_open_store_damage, a_store_named_with_a_trailing_slash_is_moved_aside_too) {
  fs::remove(store_ / "CURRENT");
  fs::create_directories(store_ / "CURRENT");
  const auto s = open_store(store_.string() + "/");
  EXPECT_TRUE(s.backend->moved_to().starts_with(store_.string() + ".damaged-"))
      << s.backend->moved_to();
  EXPECT_EQ(moved_aside(store_).size(), 1u);
  EXPECT_TRUE(s.contents.sessions.empty());
}

}  // namespace
}  // namespace tern::storage::test
