#include "net/pending_write.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "protocol/message.hpp"

namespace tern::net {
namespace {

protocol::message_ptr message() {
  return protocol::make_message("t", codec::binary(1024, 7), codec::qos::at_most_once, false, {},
                                protocol::clock::now(), 0);
}

TEST(pending_write_test, a_write_given_back_releases_its_payloads_and_lends_its_bytes_again) {
  protocol::buffer_pool buffers;
  pending_write_pool pool(buffers);
  auto write = pool.take();
  ASSERT_NE(write, nullptr);
  const auto msg = message();
  write->batch.bytes.assign(300, 1);
  write->batch.payloads.push_back({10, msg});
  write->gather.emplace_back(write->batch.bytes.data(), 10);
  const auto* bytes = write->batch.bytes.data();
  const auto* object = write.get();
  EXPECT_EQ(msg.use_count(), 2);

  pool.give_back(std::move(write));
  EXPECT_EQ(msg.use_count(), 1);  // no payload outlives its write
  EXPECT_EQ(pool.size(), 1u);
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(buffers.lend().data(), bytes);  // a session encodes into them next

  auto again = pool.take();
  EXPECT_EQ(again.get(), object);
  EXPECT_TRUE(again->batch.bytes.empty());
  EXPECT_TRUE(again->batch.payloads.empty());
  EXPECT_TRUE(again->gather.empty());
  EXPECT_EQ(pool.size(), 0u);
}

TEST(pending_write_test, keeps_a_bounded_number_of_spare_writes) {
  protocol::buffer_pool buffers;
  pending_write_pool pool(buffers);
  std::vector<std::unique_ptr<pending_write>> taken;
  for (std::size_t i = 0; i < pending_write_pool::k_max_spare + 5; ++i)
    taken.push_back(pool.take());
  for (auto& w : taken) pool.give_back(std::move(w));
  EXPECT_EQ(pool.size(), pending_write_pool::k_max_spare);
  pool.give_back(nullptr);
  EXPECT_EQ(pool.size(), pending_write_pool::k_max_spare);
}

}  // namespace
}  // namespace tern::net
