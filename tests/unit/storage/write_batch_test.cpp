// write_batch::cancel_short_lived: records created and erased within one batch vanish; anything
// that may already be on disk stays.

#include "storage/write_batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::storage::test {
namespace {

using kind = write_batch::op_kind;

std::vector<std::string> listing(const write_batch& b) {
  std::vector<std::string> out;
  b.for_each([&](const write_batch::op& o) {
    const char* names[] = {"put", "erase", "erase_range", "put_new"};
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

}  // namespace
}  // namespace tern::storage::test
