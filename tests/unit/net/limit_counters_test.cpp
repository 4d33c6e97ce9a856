#include "net/limit_counters.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tern::net {
namespace {

using protocol::limit_event;
using namespace std::chrono_literals;

TEST(limit_counters, counts_every_event_and_logs_one_line_per_interval_and_kind) {
  limit_counters counters;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  const auto text = [](const char* t) { return [t] { return std::string(t); }; };
  int described = 0;
  const auto counted = [&] {
    ++described;
    return std::string("a");
  };
  EXPECT_TRUE(counters.record(limit_event::slow_consumer, counted, t0));
  EXPECT_FALSE(counters.record(limit_event::slow_consumer, text("b"), t0 + 1s));
  EXPECT_FALSE(counters.record(limit_event::slow_consumer, text("c"), t0 + 9s));
  EXPECT_TRUE(counters.record(limit_event::connection_rate, text("other kind"), t0 + 1s));
  EXPECT_TRUE(counters.record(limit_event::slow_consumer, text("d"), t0 + 10s));
  EXPECT_EQ(counters.count(limit_event::slow_consumer), 4u);
  EXPECT_EQ(counters.count(limit_event::connection_rate), 1u);
  EXPECT_EQ(counters.count(limit_event::topic_refused), 0u);
  EXPECT_FALSE(counters.record(limit_event::slow_consumer, counted, t0 + 11s));
  EXPECT_EQ(described, 1);  // the text is only built for lines that are logged
}

}  // namespace
}  // namespace tern::net
