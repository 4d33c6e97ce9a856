// The kv_backend contract, held by memory_backend and rocksdb_backend alike: atomic ordered
// batches, prefix scans in byte order, early stop.

#include <gtest/gtest.h>

#include <algorithm>

#include "backend_stores.hpp"
#include "storage/group_committer.hpp"

namespace tern::storage::test {
namespace {

template <typename Store>
class storage_kv_backend_contract : public ::testing::Test {
 protected:
  kv_backend& backend() { return store_.get(); }
  void apply(const write_batch& batch, durability mode = durability::fsync) {
    const auto status = backend().write(batch, mode);
    ASSERT_TRUE(status.ok) << status.message;
  }
  void put(bytes key, bytes value) {
    write_batch b;
    b.put(std::move(key), std::move(value));
    apply(b);
  }

 private:
  Store store_;
};

struct store_names {
  template <typename Store>
  static std::string GetName(int) {
    return Store::name;
  }
};

using stores = ::testing::Types<memory_store, rocksdb_store>;
TYPED_TEST_SUITE(storage_kv_backend_contract, stores, store_names);

using kv = std::vector<std::pair<bytes, bytes>>;

TYPED_TEST(storage_kv_backend_contract, starts_empty) {
  EXPECT_TRUE(scan_all(this->backend()).empty());
  EXPECT_TRUE(scan_all(this->backend(), "m").empty());
}

TYPED_TEST(storage_kv_backend_contract, a_batch_lands_whole) {
  write_batch b;
  for (int i = 0; i < 100; ++i) b.put(keys::of_message(static_cast<std::uint64_t>(i)), "v");
  b.put("x", "meta");
  this->apply(b);
  EXPECT_EQ(keys_of(this->backend(), "m").size(), 100u);
  EXPECT_EQ(scan_all(this->backend(), "x"), (kv{{"x", "meta"}}));
}

TYPED_TEST(storage_kv_backend_contract, scan_visits_only_the_prefix_in_byte_order) {
  write_batch b;
  // Ids across byte boundaries: big-endian keys must come back in id order, bytes >= 0x80
  // after smaller ones (unsigned comparison).
  const std::vector<std::uint64_t> ids = {0x8000'0000'0000'0000, 0x100, 0xFF, 1, 0x80, 0x7F, 0};
  for (const auto id : ids) b.put(keys::of_message(id), std::to_string(id));
  b.put("l", "before");
  b.put(bytes("l\xFF", 2), "just before");
  b.put("n", "after");
  b.put(bytes("m", 1), "the prefix itself");
  this->apply(b);

  auto sorted_ids = ids;
  std::sort(sorted_ids.begin(), sorted_ids.end());
  kv expected{{"m", "the prefix itself"}};
  for (const auto id : sorted_ids) expected.emplace_back(keys::of_message(id), std::to_string(id));
  EXPECT_EQ(scan_all(this->backend(), "m"), expected);
  EXPECT_EQ(keys_of(this->backend()).size(), ids.size() + 4);  // the empty prefix is everything
  EXPECT_EQ(keys_of(this->backend()).front(), "l");
  EXPECT_EQ(keys_of(this->backend()).back(), "n");
  EXPECT_TRUE(scan_all(this->backend(), "o").empty());
  EXPECT_EQ(scan_all(this->backend(), keys::of_message(0x100)),
            (kv{{keys::of_message(0x100), "256"}}));
}

TYPED_TEST(storage_kv_backend_contract, keys_and_values_are_binary) {
  const bytes key("k\0\xFF\0", 4);
  bytes value(3u << 20, '\0');  // 3 MiB
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i % 251);
  this->put(key, value);
  this->put(bytes("k\0", 2), "shorter key");
  EXPECT_EQ(scan_all(this->backend(), bytes("k\0\xFF", 3)), (kv{{key, value}}));
  EXPECT_EQ(keys_of(this->backend(), bytes("k\0", 2)), (std::vector<bytes>{bytes("k\0", 2), key}));
}

TYPED_TEST(storage_kv_backend_contract, a_later_put_overwrites) {
  this->put("a", "1");
  this->put("a", "2");
  EXPECT_EQ(scan_all(this->backend()), (kv{{"a", "2"}}));
}

TYPED_TEST(storage_kv_backend_contract, erase_removes_only_that_key) {
  this->put("a", "1");
  this->put("ab", "2");
  this->put("b", "3");
  write_batch b;
  b.erase("a");
  b.erase("zz");  // not there: no error
  this->apply(b);
  EXPECT_EQ(scan_all(this->backend()), (kv{{"ab", "2"}, {"b", "3"}}));
}

TYPED_TEST(storage_kv_backend_contract, erase_range_includes_begin_and_excludes_end) {
  write_batch b;
  for (const char* k : {"a", "b", "ba", "bz", "c", "d"}) b.put(k, k);
  this->apply(b);
  write_batch range;
  range.erase_range("b", "c");
  this->apply(range);
  EXPECT_EQ(keys_of(this->backend()), (std::vector<bytes>{"a", "c", "d"}));
}

TYPED_TEST(storage_kv_backend_contract, erase_range_of_a_session_leaves_its_neighbours) {
  write_batch b;
  for (const std::uint64_t session : {0xFFu, 0x100u, 0x101u}) {
    for (const std::uint64_t message : {0ull, 1ull, ~0ull}) {
      b.put(keys::of_entry(session, message), "e");
    }
    b.put(keys::of_subscription(session, "\xFF\xFF"), "s");
    b.put(keys::of_session(session), "session");
  }
  this->apply(b);
  write_batch end_session;
  for (const char kind : {keys::entry, keys::subscription, keys::inbound}) {
    auto [begin, end] = keys::session_range(kind, 0x100);
    end_session.erase_range(std::move(begin), std::move(end));
  }
  this->apply(end_session);
  EXPECT_EQ(keys_of(this->backend(), "q"),
            (std::vector<bytes>{keys::of_entry(0xFF, 0), keys::of_entry(0xFF, 1),
                                keys::of_entry(0xFF, ~0ull), keys::of_entry(0x101, 0),
                                keys::of_entry(0x101, 1), keys::of_entry(0x101, ~0ull)}));
  EXPECT_EQ(keys_of(this->backend(), "u"),
            (std::vector<bytes>{keys::of_subscription(0xFF, "\xFF\xFF"),
                                keys::of_subscription(0x101, "\xFF\xFF")}));
  EXPECT_EQ(keys_of(this->backend(), "s").size(), 3u);  // session records are not in the ranges
}

TYPED_TEST(storage_kv_backend_contract, changes_in_a_batch_apply_in_order) {
  this->put("old", "x");
  this->put("r2", "x");
  write_batch b;
  b.put("a", "1");
  b.erase("a");  // put then erase: gone
  b.erase("old");
  b.put("old", "new");  // erase then put: there
  b.put("twice", "first");
  b.put("twice", "second");  // the last put wins
  b.erase_range("r", "s");
  b.put("r1", "after the range");  // a put after a range erase survives it
  this->apply(b);
  EXPECT_EQ(scan_all(this->backend()),
            (kv{{"old", "new"}, {"r1", "after the range"}, {"twice", "second"}}));
}

TYPED_TEST(storage_kv_backend_contract, an_empty_batch_changes_nothing) {
  this->put("a", "1");
  this->apply(write_batch{});
  EXPECT_EQ(scan_all(this->backend()), (kv{{"a", "1"}}));
}

TYPED_TEST(storage_kv_backend_contract, both_durability_modes_write) {
  write_batch b1;
  b1.put("fsync", "1");
  this->apply(b1, durability::fsync);
  write_batch b2;
  b2.put("os", "2");
  this->apply(b2, durability::os);
  EXPECT_EQ(scan_all(this->backend()), (kv{{"fsync", "1"}, {"os", "2"}}));
}

TYPED_TEST(storage_kv_backend_contract, scan_stops_when_the_visitor_says_so) {
  write_batch b;
  for (std::uint64_t id = 1; id <= 10; ++id) b.put(keys::of_message(id), "v");
  this->apply(b);
  std::vector<bytes> seen;
  this->backend().scan("m", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return seen.size() < 3;
  });
  EXPECT_EQ(seen,
            (std::vector<bytes>{keys::of_message(1), keys::of_message(2), keys::of_message(3)}));
  int calls = 0;
  this->backend().scan("m", [&](std::string_view, std::string_view) {
    ++calls;
    return false;
  });
  EXPECT_EQ(calls, 1);
}

TYPED_TEST(storage_kv_backend_contract, recover_on_a_healthy_store_is_true) {
  EXPECT_TRUE(this->backend().recover());
  this->put("a", "1");
  EXPECT_EQ(scan_all(this->backend()), (kv{{"a", "1"}}));
}

TYPED_TEST(storage_kv_backend_contract, the_newest_retained_value_wins_in_any_commit_order) {
  const auto key = keys::of_retained("a/b");
  // Changes 7 (message 70) and 9 (deleted) of the topic, committed newest first, then 8.
  write_batch newest;
  newest.merge_retained(key, encode_retained(0, 9));
  this->apply(newest);
  write_batch older;
  older.merge_retained(key, encode_retained(70, 7));
  older.merge_retained(key, encode_retained(80, 8));
  this->apply(older);
  EXPECT_EQ(scan_all(this->backend(), "r"), (kv{{key, encode_retained(0, 9)}}));
  write_batch newer;
  newer.merge_retained(key, encode_retained(100, 10));
  this->apply(newer);
  const auto got = scan_all(this->backend(), "r");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(decode_retained(got[0].first, got[0].second), (retained_record{"a/b", 100, 10}));
}

TYPED_TEST(storage_kv_backend_contract, read_range_sees_committed_keys_in_order) {
  for (const std::uint64_t seq : {3u, 1u, 2u, 9u}) this->put(keys::of_paged(5, seq), "v");
  this->put(keys::of_paged(6, 0), "other session");
  std::vector<bytes> seen;
  EXPECT_TRUE(this->backend().read_range(keys::of_paged(5, 2), keys::of_paged(5, 9),
                                         [&](std::string_view k, std::string_view) {
                                           seen.emplace_back(k);
                                           return true;
                                         }));
  EXPECT_EQ(seen, (std::vector<bytes>{keys::of_paged(5, 2), keys::of_paged(5, 3)}));
}

TYPED_TEST(storage_kv_backend_contract, a_batch_shrunk_for_its_commit_leaves_the_same_contents) {
  // Entries 1-10 of session 7, its neighbours' entries, and a paged entry with the same number.
  for (std::uint64_t id = 1; id <= 10; ++id) this->put(keys::of_entry(7, id), "entry");
  this->put(keys::of_entry(6, 4), "neighbour");
  this->put(keys::of_entry(8, 4), "neighbour");
  this->put(keys::of_paged(7, 4), "paged");
  // In-order acknowledgements (folded into ranges), one out of order, and a new entry that is
  // acknowledged within the same commit (cancelled).
  write_batch acks;
  for (std::uint64_t id = 2; id <= 5; ++id) acks.erase(keys::of_entry(7, id));
  acks.erase(keys::of_entry(7, 9));
  acks.put_new(keys::of_entry(7, 11), "entry");
  acks.erase(keys::of_entry(7, 6));
  acks.erase(keys::of_entry(7, 7));
  acks.erase(keys::of_entry(7, 11));
  EXPECT_EQ(shrink_for_commit(acks), 2u);
  EXPECT_EQ(acks.size(), 3u);  // [2, 6), 9, [6, 8)
  this->apply(acks);
  std::vector<bytes> left;
  this->backend().scan("q", [&](std::string_view k, std::string_view) {
    left.emplace_back(k);
    return true;
  });
  EXPECT_EQ(left,
            (std::vector<bytes>{keys::of_entry(6, 4), keys::of_entry(7, 1), keys::of_entry(7, 8),
                                keys::of_entry(7, 10), keys::of_entry(8, 4)}));
  std::size_t paged = 0;
  this->backend().scan("p", [&](std::string_view, std::string_view) { return ++paged, true; });
  EXPECT_EQ(paged, 1u);
}

}  // namespace
}  // namespace tern::storage::test
