#include "protocol/lazy_container.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace tern::protocol {
namespace {

std::vector<std::string> contents(const lazy_deque<std::string>& d) {
  return {d.begin(), d.end()};
}

TEST(lazy_container_test, an_empty_deque_weighs_one_pointer_and_iterates_over_nothing) {
  static_assert(sizeof(lazy_deque<std::string>) == sizeof(void*));
  lazy_deque<std::string> d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.begin(), d.end());
  d.clear();
  EXPECT_EQ(d.erase(d.begin(), d.end()), d.end());
  EXPECT_TRUE(contents(d).empty());
}

TEST(lazy_container_test, behaves_like_a_deque_under_random_operations) {
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

TEST(lazy_container_test, an_empty_map_weighs_one_pointer_and_finds_nothing) {
  static_assert(sizeof(lazy_map<std::string, int>) == sizeof(void*));
  lazy_map<std::string, int> m;
  const auto& view = m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.begin(), m.end());
  EXPECT_EQ(m.find(std::string_view{"a"}), m.end());
  EXPECT_EQ(view.find(std::string_view{"a"}), view.end());
  EXPECT_FALSE(m.contains(std::string_view{"a"}));
  m.clear();
  EXPECT_TRUE(m.empty());
}

TEST(lazy_container_test, a_map_behaves_like_a_map_under_random_operations) {
  lazy_map<std::string, int> m;
  std::map<std::string, int, std::less<>> model;
  std::mt19937 random(11);
  for (int step = 0; step < 20'000; ++step) {
    const auto key = std::to_string(random() % 64);
    const auto op = random() % 3;
    if (op == 0) {
      m[key] = step;
      model[key] = step;
    } else if (op == 1) {
      const auto it = m.find(std::string_view{key});
      ASSERT_EQ(it != m.end(), model.contains(key));
      if (it != m.end()) {
        EXPECT_EQ(it->second, model[key]);
        m.erase(it);
        model.erase(key);
      }
    } else {
      ASSERT_EQ(m.contains(std::string_view{key}), model.contains(key));
    }
    ASSERT_EQ(m.size(), model.size());
  }
  EXPECT_TRUE(std::equal(m.begin(), m.end(), model.begin(), model.end()));
}

TEST(lazy_container_test, a_vector_allocates_on_its_first_element_and_stays_contiguous) {
  static_assert(sizeof(lazy_vector<std::uint16_t>) == sizeof(void*));
  lazy_vector<std::uint16_t> v;
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.begin(), v.end());
  v.resize(0);  // nothing to shrink
  for (std::uint16_t i = 0; i < 40; ++i) v.push_back(i);
  ASSERT_EQ(v.size(), 40u);
  EXPECT_EQ(v.data()[39], 39);
  v.erase(v.begin() + 3);
  EXPECT_EQ(v[3], 4);
  v[0] = 7;
  v.resize(2);
  EXPECT_EQ(std::vector<std::uint16_t>(v.begin(), v.end()), (std::vector<std::uint16_t>{7, 1}));
}

}  // namespace
}  // namespace tern::protocol
