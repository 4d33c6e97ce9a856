#include "protocol/lazy_deque.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tern::protocol {
namespace {

std::vector<std::string> contents(const lazy_deque<std::string>& d) {
  return {d.begin(), d.end()};
}

TEST(lazy_deque_test, an_empty_deque_weighs_one_pointer_and_iterates_over_nothing) {
  static_assert(sizeof(lazy_deque<std::string>) == sizeof(void*));
  lazy_deque<std::string> d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.begin(), d.end());
  d.clear();
  EXPECT_EQ(d.erase(d.begin(), d.end()), d.end());
  EXPECT_TRUE(contents(d).empty());
}

TEST(lazy_deque_test, behaves_like_a_deque_under_random_operations) {
  lazy_deque<std::string> d;
  std::deque<std::string> model;
  std::mt19937 random(7);
  for (int step = 0; step < 20'000; ++step) {
    const auto op = random() % 7;
    if (op <= 2) {
      const auto value = std::to_string(step);
      d.push_back(value);
      model.push_back(value);
    } else if (op == 3 && !model.empty()) {
      EXPECT_EQ(d.front(), model.front());
      d.pop_front();
      model.pop_front();
    } else if (op == 4 && !model.empty()) {
      EXPECT_EQ(d.back(), model.back());
      d.pop_back();
      model.pop_back();
    } else if (op == 5 && !model.empty()) {
      const auto at = random() % model.size();
      EXPECT_EQ(d[at], model[at]);
      d.erase(d.begin() + static_cast<std::ptrdiff_t>(at));
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
    } else if (op == 6 && random() % 50 == 0) {
      const auto keep = model.empty() ? 0 : random() % model.size();
      d.erase(d.begin() + static_cast<std::ptrdiff_t>(keep), d.end());
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(keep), model.end());
    }
    ASSERT_EQ(d.size(), model.size());
    ASSERT_EQ(d.empty(), model.empty());
  }
  EXPECT_EQ(contents(d), std::vector<std::string>(model.begin(), model.end()));
  d.clear();
  EXPECT_TRUE(d.empty());
  d.push_back("again");
  EXPECT_EQ(contents(d), std::vector<std::string>{"again"});
}

}  // namespace
}  // namespace tern::protocol
