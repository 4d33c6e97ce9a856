#include "net/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

using namespace std::chrono_literals;
namespace ip = boost::asio::ip;

const auto t0 = rate_limiter::clock::time_point{} + 1000s;

TEST(rate_limiter, allows_the_burst_then_refills_at_the_rate) {
  rate_limiter limiter(2.0, 5.0);
  const auto a = ip::make_address("192.0.2.1");
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow(a, t0)) << i;
  EXPECT_FALSE(limiter.allow(a, t0));
  EXPECT_FALSE(limiter.allow(a, t0 + 400ms));  // 0.8 tokens
  EXPECT_TRUE(limiter.allow(a, t0 + 500ms));   // one token after half a second at 2/s
  EXPECT_FALSE(limiter.allow(a, t0 + 500ms));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow(a, t0 + 60s)) << i;  // capped at burst
  EXPECT_FALSE(limiter.allow(a, t0 + 60s));
}

TEST(rate_limiter, addresses_have_their_own_buckets) {
  rate_limiter limiter(1.0, 1.0);
  EXPECT_TRUE(limiter.allow(ip::make_address("192.0.2.1"), t0));
  EXPECT_FALSE(limiter.allow(ip::make_address("192.0.2.1"), t0));
  EXPECT_TRUE(limiter.allow(ip::make_address("192.0.2.2"), t0));
}

TEST(rate_limiter, ipv6_addresses_share_a_bucket_per_64_and_mapped_ipv4_is_ipv4) {
  rate_limiter limiter(1.0, 1.0);
  EXPECT_TRUE(limiter.allow(ip::make_address("2001:db8:1:2::1"), t0));
  EXPECT_FALSE(limiter.allow(ip::make_address("2001:db8:1:2:ffff::9"), t0));
  EXPECT_TRUE(limiter.allow(ip::make_address("2001:db8:1:3::1"), t0));
  EXPECT_TRUE(limiter.allow(ip::make_address("198.51.100.7"), t0));
  EXPECT_FALSE(limiter.allow(ip::make_address("::ffff:198.51.100.7"), t0));
}

TEST(rate_limiter, zero_rate_is_off) {
  rate_limiter limiter(0.0, 1.0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.allow(ip::make_address("192.0.2.1"), t0));
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(rate_limiter, the_table_is_bounded_and_forgets_refilled_buckets) {
  rate_limiter limiter(1.0, 2.0, 4);
  for (int i = 0; i < 4; ++i) {
    const auto a = ip::make_address_v4(0xC0000200u + static_cast<unsigned>(i));
    EXPECT_TRUE(limiter.allow(a, t0));
  }
  EXPECT_EQ(limiter.tracked(), 4u);
  // Full table, nothing refilled yet: a new address passes untracked.
  EXPECT_TRUE(limiter.allow(ip::make_address("203.0.113.1"), t0));
  EXPECT_EQ(limiter.tracked(), 4u);
  // Later every bucket is full again and is forgotten to make room.
  EXPECT_TRUE(limiter.allow(ip::make_address("203.0.113.1"), t0 + 10s));
  EXPECT_EQ(limiter.tracked(), 1u);
}

}  // namespace
}  // namespace tern::net
