#include "net/limit_counters.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

using protocol::limit_event;
using namespace std::chrono_literals;

TEST(limit_counters, counts_every_event_and_logs_one_line_per_interval_and_kind) {
  limit_counters counters;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  EXPECT_TRUE(counters.record(limit_event::slow_consumer, "a", t0));
  EXPECT_FALSE(counters.record(limit_event::slow_consumer, "b", t0 + 1s));
  EXPECT_FALSE(counters.record(limit_event::slow_consumer, "c", t0 + 9s));
  EXPECT_TRUE(counters.record(limit_event::connection_rate, "other kind", t0 + 1s));
  EXPECT_TRUE(counters.record(limit_event::slow_consumer, "d", t0 + 10s));
  EXPECT_EQ(counters.count(limit_event::slow_consumer), 4u);
  EXPECT_EQ(counters.count(limit_event::connection_rate), 1u);
  EXPECT_EQ(counters.count(limit_event::topic_refused), 0u);
}

}  // namespace
}  // namespace tern::net
