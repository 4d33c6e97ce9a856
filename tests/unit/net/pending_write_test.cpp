#include "net/pending_write.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace tern::net {
namespace {

TEST(pending_write_test, a_write_given_back_returns_its_output_to_the_sessions_pool) {
  protocol::output_pool outputs;
  pending_write_pool pool(outputs);
  auto write = pool.take();
  ASSERT_NE(write, nullptr);
  write->batch = outputs.lend();
  write->batch->bytes.assign(300, 1);
  write->gather.emplace_back(write->batch->bytes.data(), 10);
  const auto* batch = write->batch.get();
  const auto* object = write.get();

  pool.give_back(std::move(write));
  EXPECT_EQ(pool.size(), 1u);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs.lend().get(), batch);  // a session encodes into it next

  const auto again = pool.take();
  EXPECT_EQ(again.get(), object);
  EXPECT_EQ(again->batch, nullptr);
  EXPECT_TRUE(again->gather.empty());
  EXPECT_EQ(pool.size(), 0u);
}

TEST(pending_write_test, keeps_a_bounded_number_of_spare_writes) {
  protocol::output_pool outputs;
  pending_write_pool pool(outputs);
  std::vector<std::unique_ptr<pending_write>> taken;
  for (std::size_t i = 0; i < pending_write_pool::k_max_spare + 5; ++i) {
    taken.push_back(pool.take());
  }
  for (auto& w : taken) pool.give_back(std::move(w));
  EXPECT_EQ(pool.size(), pending_write_pool::k_max_spare);
  pool.give_back(nullptr);
  EXPECT_EQ(pool.size(), pending_write_pool::k_max_spare);
}

}  // namespace
}  // namespace tern::net
