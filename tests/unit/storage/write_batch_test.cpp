// write_batch::cancel_short_lived: records created and erased within one batch vanish; anything
// that may already be on disk stays. write_batch::coalesce_erase_runs: back-to-back erases of
// consecutive ids become one range erase covering exactly them.

#include "storage/write_batch.hpp"

#include "storage/group_committer.hpp"
#include "storage/records.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::storage::test {
namespace {

using kind = write_batch::op_kind;

std::vector<std::string> listing(const write_batch& b) {
  std::vector<std::string> out;
  b.for_each([&](const write_batch::op& o) {
    const char* names[] = {"put", "erase", "erase_range", "put_new", "merge_retained"};
    out.push_back(std::string(names[static_cast<int>(o.kind)]) + " " + std::string(o.key) +
                  (o.value.empty() ? "" : "=" + std::string(o.value)));
  });
  return out;
}

TEST(storage_write_batch, a_new_record_erased_in_the_same_batch_is_never_written) {
  write_batch b;
  b.put("s1", "session");
  b.put_new("m7", "message");
  b.put_new("q1-7", "entry");
  b.put("u1", "sub");
  b.erase("q1-7");
  b.erase("m7");
  EXPECT_EQ(b.cancel_short_lived(), 4u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(listing(b), (std::vector<std::string>{"put s1=session", "put u1=sub"}));
}

TEST(storage_write_batch, rewrites_of_a_new_record_go_with_it) {
  write_batch b;
  b.put_new("q1-7", "entry");
  b.put("q1-7", "entry with packet id");
  b.put("q1-8", "other");
  b.erase("q1-7");
  EXPECT_EQ(b.cancel_short_lived(), 3u);
  EXPECT_EQ(listing(b), (std::vector<std::string>{"put q1-8=other"}));
}

TEST(storage_write_batch, records_that_may_be_on_disk_keep_their_erase) {
  write_batch b;
  b.put("q1-7", "rewritten, created by an earlier commit");
  b.erase("q1-7");
  b.erase("q1-9");
  b.put_new("q1-10", "new, still wanted");
  EXPECT_EQ(b.cancel_short_lived(), 0u);
  EXPECT_EQ(b.size(), 4u);
}

TEST(storage_write_batch, an_erase_before_the_creation_cancels_nothing) {
  write_batch b;
  b.erase("m7");
  b.put_new("m7", "message");
  EXPECT_EQ(b.cancel_short_lived(), 0u);
  EXPECT_EQ(listing(b), (std::vector<std::string>{"erase m7", "put_new m7=message"}));
}

TEST(storage_write_batch, a_key_created_again_after_its_cancellation_stays) {
  write_batch b;
  b.put_new("k", "first");
  b.erase("k");
  b.put_new("k", "second");
  EXPECT_EQ(b.cancel_short_lived(), 2u);
  EXPECT_EQ(listing(b), (std::vector<std::string>{"put_new k=second"}));
}

TEST(storage_write_batch, range_erases_are_kept_and_cancel_nothing_themselves) {
  write_batch b;
  b.put_new("q1-7", "entry");
  b.erase_range("q1", "q2");
  b.erase("q1-7");
  EXPECT_EQ(b.cancel_short_lived(), 2u);
  EXPECT_EQ(listing(b), (std::vector<std::string>{"erase_range q1=q2"}));
  EXPECT_EQ(b.ops().front().kind, kind::erase_range);
}

TEST(storage_write_batch, merged_batches_cancel_across_their_boundary) {
  write_batch first;
  first.put_new("q1-7", "entry");
  write_batch second;
  second.erase("q1-7");
  first.append(std::move(second));
  EXPECT_EQ(first.cancel_short_lived(), 2u);
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(first.byte_size(), 0u);
}

// Keys of the store's real layout, printed as kind/session/id for the listings.
std::string printable(std::string_view key) {
  if (!keys::ends_in_id(key)) return std::string(key);
  std::string out(1, key.front());
  std::uint64_t number = 0;
  for (std::size_t i = 1; i < key.size(); ++i) {
    number = (number << 8) | static_cast<unsigned char>(key[i]);
    if (i % 8 == 0) {
      out += "/" + std::to_string(number);
      number = 0;
    }
  }
  return out;
}

std::vector<std::string> key_listing(const write_batch& b) {
  std::vector<std::string> out;
  b.for_each([&](const write_batch::op& o) {
    const char* names[] = {"put", "erase", "erase_range", "put_new", "merge_retained"};
    out.push_back(std::string(names[static_cast<int>(o.kind)]) + " " + printable(o.key) +
                  (o.kind == kind::erase_range ? " " + printable(o.value) : ""));
  });
  return out;
}

TEST(storage_write_batch, a_value_encoded_in_place_reads_back_like_any_other) {
  write_batch b;
  b.put("s1", "session");
  b.put_encoded("q1-7", /*is_new=*/true, [](std::string& out) { out.append("entry"); });
  b.put_encoded("q1-8", /*is_new=*/false, [](std::string&) {});
  b.erase("q1-7");
  EXPECT_EQ(listing(b), (std::vector<std::string>{"put s1=session", "put_new q1-7=entry",
                                                  "put q1-8", "erase q1-7"}));
  EXPECT_EQ(b.cancel_short_lived(), 2u);
}

TEST(storage_write_batch, in_order_erases_of_entries_become_one_range) {
  write_batch b;
  b.put_new(keys::of_entry(1, 500), "entry");
  for (std::uint64_t id = 100; id < 104; ++id) b.erase(keys::of_entry(1, id));
  b.put_new(keys::of_entry(1, 501), "entry");
  EXPECT_EQ(b.coalesce_erase_runs(keys::ends_in_id), 3u);
  EXPECT_EQ(key_listing(b),
            (std::vector<std::string>{"put_new q/1/500", "erase_range q/1/100 q/1/104",
                                      "put_new q/1/501"}));
}

TEST(storage_write_batch, only_back_to_back_consecutive_ids_of_one_prefix_fold) {
  write_batch b;
  b.erase(keys::of_entry(1, 7));
  b.erase(keys::of_entry(1, 9));   // a gap: id 8 may still be live
  b.erase(keys::of_entry(2, 10));  // another session
  b.put(keys::of_entry(2, 12), "rewritten");
  b.erase(keys::of_entry(2, 11));  // not next to 10 in the batch: 12's put lies between
  b.erase(keys::of_paged(2, 12));  // the same numbers under another kind
  b.erase(keys::of_message(13));
  b.erase(keys::of_message(14));
  EXPECT_EQ(b.coalesce_erase_runs(keys::ends_in_id), 1u);
  EXPECT_EQ(key_listing(b),
            (std::vector<std::string>{"erase q/1/7", "erase q/1/9", "erase q/2/10", "put q/2/12",
                                      "erase q/2/11", "erase p/2/12", "erase_range m/13 m/15"}));
}

TEST(storage_write_batch, keys_that_other_keys_extend_never_fold) {
  // A subscription key is its session and then the filter: a range between two of them would
  // also cover every longer filter sharing their start.
  write_batch b;
  b.erase(keys::of_subscription(1, "abcdefgh"));
  b.erase(keys::of_subscription(1, "abcdefgi"));
  EXPECT_EQ(b.coalesce_erase_runs(keys::ends_in_id), 0u);
  EXPECT_EQ(b.size(), 2u);
}

TEST(storage_write_batch, a_run_up_to_the_last_id_keeps_an_end_key) {
  write_batch b;
  b.erase(keys::of_entry(1, UINT64_MAX - 2));
  b.erase(keys::of_entry(1, UINT64_MAX - 1));
  b.erase(keys::of_entry(1, UINT64_MAX));  // no key after it to end a range at
  b.erase(keys::of_entry(1, 0xff));
  b.erase(keys::of_entry(1, 0x100));  // the id carries into its next byte
  EXPECT_EQ(b.coalesce_erase_runs(keys::ends_in_id), 2u);
  const auto ops = b.ops();
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].kind, kind::erase_range);
  EXPECT_EQ(ops[0].key, keys::of_entry(1, UINT64_MAX - 2));
  EXPECT_EQ(ops[0].value, keys::of_entry(1, UINT64_MAX));
  EXPECT_EQ(ops[1].kind, kind::erase);
  EXPECT_EQ(ops[1].key, keys::of_entry(1, UINT64_MAX));
  EXPECT_EQ(ops[2].kind, kind::erase_range);
  EXPECT_EQ(ops[2].key, keys::of_entry(1, 0xff));
  EXPECT_EQ(ops[2].value, keys::of_entry(1, 0x101));
}

TEST(storage_write_batch, shrinking_for_a_commit_cancels_then_folds) {
  write_batch b;
  b.put_new(keys::of_entry(1, 5), "acknowledged before it reached the disk");
  b.erase(keys::of_entry(1, 3));
  b.erase(keys::of_entry(1, 4));
  b.erase(keys::of_entry(1, 5));
  EXPECT_EQ(shrink_for_commit(b), 2u);
  EXPECT_EQ(key_listing(b), (std::vector<std::string>{"erase_range q/1/3 q/1/5"}));
}

}  // namespace
}  // namespace tern::storage::test
