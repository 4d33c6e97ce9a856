#include "admin/load_average.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace tern::admin {
namespace {

TEST(LoadAverage, FirstUpdateSetsEveryWindow) {
  load_average avg;
  avg.update(120.0, 10.0);
  EXPECT_DOUBLE_EQ(avg.one_minute(), 120.0);
  EXPECT_DOUBLE_EQ(avg.five_minutes(), 120.0);
  EXPECT_DOUBLE_EQ(avg.fifteen_minutes(), 120.0);
}

TEST(LoadAverage, DecaysTowardsTheNewRateByExpOfElapsedOverWindow) {
  load_average avg;
  avg.update(0.0, 10.0);
  avg.update(600.0, 10.0);
  EXPECT_NEAR(avg.one_minute(), 600.0 * (1 - std::exp(-10.0 / 60.0)), 1e-9);
  EXPECT_NEAR(avg.five_minutes(), 600.0 * (1 - std::exp(-10.0 / 300.0)), 1e-9);
  EXPECT_NEAR(avg.fifteen_minutes(), 600.0 * (1 - std::exp(-10.0 / 900.0)), 1e-9);
  // The shorter window follows faster.
  EXPECT_GT(avg.one_minute(), avg.five_minutes());
  EXPECT_GT(avg.five_minutes(), avg.fifteen_minutes());
}

TEST(LoadAverage, SteadyRateConvergesAndUnevenIntervalsAgree) {
  load_average steps;
  load_average one_step;
  steps.update(0.0, 1.0);
  one_step.update(0.0, 1.0);
  // Six updates of 10 s at one rate equal one update of 60 s at that rate.
  for (int i = 0; i < 6; ++i) steps.update(300.0, 10.0);
  one_step.update(300.0, 60.0);
  EXPECT_NEAR(steps.one_minute(), one_step.one_minute(), 1e-9);
  EXPECT_NEAR(steps.one_minute(), 300.0 * (1 - std::exp(-1.0)), 1e-9);
  for (int i = 0; i < 1000; ++i) steps.update(300.0, 10.0);  // 10^4 s: e^-11 is left
  EXPECT_NEAR(steps.fifteen_minutes(), 300.0, 0.1);
}

TEST(LoadAverage, ZeroElapsedChangesNothing) {
  load_average avg;
  avg.update(60.0, 1.0);
  avg.update(6000.0, 0.0);
  EXPECT_DOUBLE_EQ(avg.one_minute(), 60.0);
}

}  // namespace
}  // namespace tern::admin
