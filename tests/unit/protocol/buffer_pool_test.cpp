#include "protocol/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tern::protocol {
namespace {

std::vector<std::uint8_t> buffer_with_room(std::size_t capacity) {
  std::vector<std::uint8_t> b;
  b.reserve(capacity);
  b.push_back(1);
  return b;
}

TEST(buffer_pool_test, an_empty_pool_lends_a_buffer_without_room) {
  buffer_pool pool;
  EXPECT_EQ(pool.lend().capacity(), 0u);
}

TEST(buffer_pool_test, lends_the_last_buffer_given_back_emptied_with_its_room) {
  buffer_pool pool;
  pool.give_back(buffer_with_room(100));
  auto big = buffer_with_room(5000);
  const auto* storage = big.data();
  pool.give_back(std::move(big));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.bytes(), 5100u);

  auto lent = pool.lend();
  EXPECT_EQ(lent.data(), storage);
  EXPECT_TRUE(lent.empty());
  EXPECT_GE(lent.capacity(), 5000u);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), 100u);
}

TEST(buffer_pool_test, keeps_nothing_beyond_its_count_or_byte_bounds) {
  buffer_pool pool;
  pool.give_back({});  // nothing to keep
  EXPECT_EQ(pool.size(), 0u);
  pool.give_back(buffer_with_room(buffer_pool::k_max_bytes + 1));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.bytes(), 0u);

  for (std::size_t i = 0; i < buffer_pool::k_max_buffers + 10; ++i) {
    pool.give_back(buffer_with_room(64));
  }
  EXPECT_EQ(pool.size(), buffer_pool::k_max_buffers);
  EXPECT_LE(pool.bytes(), buffer_pool::k_max_bytes);

  // A buffer that would take the pool past its byte bound is freed, not kept.
  buffer_pool bytes_bound;
  bytes_bound.give_back(buffer_with_room(buffer_pool::k_max_bytes - 100));
  bytes_bound.give_back(buffer_with_room(200));
  EXPECT_EQ(bytes_bound.size(), 1u);
}

}  // namespace
}  // namespace tern::protocol
