#include "protocol/optional_instant.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tern::protocol {
namespace {

TEST(optional_instant_test, holds_an_instant_or_none_in_the_size_of_one) {
  static_assert(sizeof(optional_instant) == sizeof(time_point));
  optional_instant at;
  EXPECT_FALSE(at);
  EXPECT_FALSE(at.as_optional());

  const auto now = clock::now();
  at = now + std::chrono::seconds(5);
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, now + std::chrono::seconds(5));
  EXPECT_EQ(at.as_optional(), now + std::chrono::seconds(5));

  at.reset();
  EXPECT_FALSE(at.has_value());
  at = std::nullopt;
  EXPECT_FALSE(at);
  const optional_instant from_start = time_point{};  // the clock's epoch is an instant too
  EXPECT_TRUE(from_start);
}

}  // namespace
}  // namespace tern::protocol
