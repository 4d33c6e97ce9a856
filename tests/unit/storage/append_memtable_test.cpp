// append_memtable under a real RocksDB: whatever order keys arrive in, reads from the live
// memtable, from a memtable being flushed and from the flushed table agree with a std::map, in
// both directions and from any seek position.

#include "storage/append_memtable.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace tern::storage::test {
namespace {

std::string key_of(unsigned n) {
  char key[16];
  std::snprintf(key, sizeof key, "k%08u", n);
  return key;
}

class storage_append_memtable : public ::testing::Test {
 protected:
  storage_append_memtable() {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.memtable_factory = std::make_shared<append_memtable_factory>();
    options.allow_concurrent_memtable_write = false;
    rocksdb::DB* db = nullptr;
    const auto status = rocksdb::DB::Open(options, dir_.path().string(), &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
  }

  void put(unsigned n, const std::string& value) {
    ASSERT_TRUE(db_->Put({}, key_of(n), value).ok());
    model_[key_of(n)] = value;
  }
  void erase(unsigned n) {
    ASSERT_TRUE(db_->Delete({}, key_of(n)).ok());
    model_.erase(key_of(n));
  }
  void erase_range(unsigned from, unsigned to) {
    ASSERT_TRUE(db_->DeleteRange({}, db_->DefaultColumnFamily(), key_of(from), key_of(to)).ok());
    model_.erase(model_.lower_bound(key_of(from)), model_.lower_bound(key_of(to)));
  }

  // Forward and backward scans, seeks and point reads all match the model.
  void expect_reads_match(const char* when) {
    SCOPED_TRACE(when);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}));
    std::vector<std::pair<std::string, std::string>> forward;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      forward.emplace_back(it->key().ToString(), it->value().ToString());
    }
    ASSERT_TRUE(it->status().ok());
    EXPECT_EQ(forward,
              (std::vector<std::pair<std::string, std::string>>(model_.begin(), model_.end())));
    std::vector<std::string> backward;
    for (it->SeekToLast(); it->Valid(); it->Prev()) backward.push_back(it->key().ToString());
    std::vector<std::string> expected_backward;
    for (auto m = model_.rbegin(); m != model_.rend(); ++m) expected_backward.push_back(m->first);
    EXPECT_EQ(backward, expected_backward);
    for (unsigned n = 0; n < 1100; n += 7) {
      const auto target = key_of(n);
      it->Seek(target);
      const auto at_or_after = model_.lower_bound(target);
      ASSERT_EQ(it->Valid(), at_or_after != model_.end()) << target;
      if (it->Valid()) {
        EXPECT_EQ(it->key().ToString(), at_or_after->first);
      }
      it->SeekForPrev(target);
      const auto after = model_.upper_bound(target);
      ASSERT_EQ(it->Valid(), after != model_.begin()) << target;
      if (it->Valid()) {
        EXPECT_EQ(it->key().ToString(), std::prev(after)->first);
      }
      std::string value;
      const auto status = db_->Get({}, target, &value);
      const auto in_model = model_.find(target);
      ASSERT_EQ(status.ok(), in_model != model_.end()) << target << ": " << status.ToString();
      if (status.ok()) {
        EXPECT_EQ(value, in_model->second);
      }
    }
  }

  temp_dir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, std::string> model_;
};

TEST_F(storage_append_memtable, keys_in_order_with_stragglers_read_back_sorted) {
  for (unsigned n = 100; n < 1000; ++n) {
    put(n, "v" + std::to_string(n));
    if (n % 97 == 0) put(n - 50, "rewritten");  // behind the ascending keys
    if (n % 13 == 0) erase(n - 20);
    if (n % 250 == 0) erase_range(n - 100, n - 60);
  }
  put(5, "before all");
  expect_reads_match("live memtable");
  // Reads while the table is being replaced keep their own view.
  std::unique_ptr<rocksdb::Iterator> held(db_->NewIterator({}));
  held->SeekToFirst();
  ASSERT_TRUE(db_->Flush({}).ok());
  expect_reads_match("after the flush");
  ASSERT_TRUE(held->Valid());
  EXPECT_EQ(held->key().ToString(), key_of(5));
  held.reset();
  put(2000, "new table");
  expect_reads_match("second memtable over the flushed table");
}

TEST_F(storage_append_memtable, keys_in_random_order_read_back_sorted) {
  std::mt19937 random(7);
  std::uniform_int_distribution<unsigned> pick(0, 1099);
  for (int i = 0; i < 3000; ++i) {
    const auto n = pick(random);
    if (i % 5 == 4) {
      erase(n);
    } else {
      put(n, "v" + std::to_string(i));
    }
  }
  expect_reads_match("live memtable");
  ASSERT_TRUE(db_->Flush({}).ok());
  expect_reads_match("after the flush");
}

TEST_F(storage_append_memtable, an_empty_table_reads_as_empty) {
  expect_reads_match("nothing written");
  put(1, "one");
  erase(1);
  expect_reads_match("written and erased");
  ASSERT_TRUE(db_->Flush({}).ok());
  expect_reads_match("after the flush");
}

}  // namespace
}  // namespace tern::storage::test
