// memory_backend beyond the shared contract: the full disk it plays for the committer tests.

#include <gtest/gtest.h>

#include "backend_stores.hpp"

namespace tern::storage::test {
namespace {

write_batch put_and_erase() {
  write_batch b;
  b.put("new", "1");
  b.erase("old");
  b.erase_range("r", "s");
  return b;
}

TEST(storage_memory_backend, a_full_disk_applies_nothing_of_a_batch) {
  memory_backend m;
  write_batch setup;
  setup.put("old", "x");
  setup.put("r1", "x");
  ASSERT_TRUE(m.write(setup, durability::fsync).ok);
  const auto before = m.contents();

  m.set_full(true);
  const auto status = m.write(put_and_erase(), durability::fsync);
  EXPECT_FALSE(status.ok);
  EXPECT_TRUE(status.no_space);
  EXPECT_FALSE(status.message.empty());
  EXPECT_EQ(m.contents(), before);
  EXPECT_EQ(m.writes(), 1u);  // failed writes do not count
  EXPECT_FALSE(m.recover());

  m.set_full(false);
  EXPECT_TRUE(m.recover());
  ASSERT_TRUE(m.write(put_and_erase(), durability::os).ok);
  EXPECT_EQ(m.contents(), (std::map<bytes, bytes>{{"new", "1"}}));
  EXPECT_EQ(m.writes(), 2u);
  EXPECT_EQ(m.key_count(), 1u);
}

TEST(storage_memory_backend, scans_work_while_the_disk_is_full) {
  memory_backend m;
  write_batch b;
  b.put("a", "1");
  ASSERT_TRUE(m.write(b, durability::fsync).ok);
  m.set_full(true);
  EXPECT_EQ(scan_all(m), (std::vector<std::pair<bytes, bytes>>{{"a", "1"}}));
}

}  // namespace
}  // namespace tern::storage::test
