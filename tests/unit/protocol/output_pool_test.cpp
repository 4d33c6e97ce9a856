#include "protocol/output_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace tern::protocol {
namespace {

output_ptr batch_with_room(output_pool& pool, std::size_t capacity) {
  auto b = pool.lend();
  b->bytes.reserve(capacity);
  b->bytes.push_back(1);
  return b;
}

TEST(output_pool_test, lends_the_last_batch_given_back_emptied_with_its_room) {
  output_pool pool;
  auto first = pool.lend();
  ASSERT_NE(first, nullptr);
  EXPECT_TRUE(first->empty());

  auto small = batch_with_room(pool, 100);
  auto big = batch_with_room(pool, 5000);
  pool.give_back(std::move(small));
  const auto* storage = big->bytes.data();
  const auto* object = big.get();
  const auto msg = make_message("t", codec::binary(2048, 7), codec::qos::at_most_once, false, {},
                                clock::now(), 0);
  big->payloads.push_back({1, msg});
  big->referenced_bytes = msg->payload.size();
  EXPECT_EQ(big->size(), 1u + 2048u);
  pool.give_back(std::move(big));
  EXPECT_EQ(msg.use_count(), 1);  // no payload outlives its write
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_GE(pool.bytes(), 5100u);

  const auto lent = pool.lend();
  EXPECT_EQ(lent.get(), object);
  EXPECT_EQ(lent->bytes.data(), storage);
  EXPECT_TRUE(lent->empty());
  EXPECT_TRUE(lent->payloads.empty());
  EXPECT_EQ(lent->size(), 0u);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(output_pool_test, keeps_nothing_beyond_its_count_or_byte_bounds) {
  output_pool pool;
  pool.give_back(nullptr);
  EXPECT_EQ(pool.size(), 0u);
  pool.give_back(batch_with_room(pool, output_pool::k_max_bytes + 1));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.bytes(), 0u);

  std::vector<output_ptr> lent;
  for (std::size_t i = 0; i < output_pool::k_max_batches + 10; ++i) {
    lent.push_back(batch_with_room(pool, 64));
  }
  for (auto& b : lent) pool.give_back(std::move(b));
  EXPECT_EQ(pool.size(), output_pool::k_max_batches);
  EXPECT_LE(pool.bytes(), output_pool::k_max_bytes);

  // A batch that would take the pool past its byte bound is freed, not kept.
  output_pool bytes_bound;
  bytes_bound.give_back(batch_with_room(bytes_bound, output_pool::k_max_bytes - 100));
  bytes_bound.give_back(batch_with_room(bytes_bound, 200));
  EXPECT_EQ(bytes_bound.size(), 1u);
}

}  // namespace
}  // namespace tern::protocol
