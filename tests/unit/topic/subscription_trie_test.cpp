#include "topic/subscription_trie.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace tern::topic {
namespace {

using trie = subscription_trie<int, std::string>;

std::vector<int> plain_matches(trie& t, std::string_view topic) {
  std::vector<int> keys;
  t.match(
      topic, [&](const trie::entry& e) { keys.push_back(e.key); },
      [](std::string_view, trie::share_group&) {});
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(subscription_trie, exact_and_wildcard_matches) {
  trie t;
  t.insert("a/b/c", "", 1, "exact");
  t.insert("a/+/c", "", 2, "plus");
  t.insert("a/#", "", 3, "hash");
  t.insert("#", "", 4, "all");
  t.insert("+/+", "", 5, "two levels");
  t.insert("a/b", "", 6, "other");
  EXPECT_EQ(plain_matches(t, "a/b/c"), (std::vector{1, 2, 3, 4}));
  EXPECT_EQ(plain_matches(t, "a/x/c"), (std::vector{2, 3, 4}));
  EXPECT_EQ(plain_matches(t, "a/b"), (std::vector{3, 4, 5, 6}));
  EXPECT_EQ(plain_matches(t, "b/c/d"), (std::vector{4}));
}

TEST(subscription_trie, hash_matches_the_parent_level) {
  trie t;
  t.insert("sport/tennis/#", "", 1, "");
  EXPECT_EQ(plain_matches(t, "sport/tennis"), (std::vector{1}));  // [MQTT-4.7.1-2]
  EXPECT_EQ(plain_matches(t, "sport/tennis/player1/ranking"), (std::vector{1}));
  EXPECT_TRUE(plain_matches(t, "sport").empty());
}

TEST(subscription_trie, empty_levels_are_levels) {
  trie t;
  t.insert("+/a", "", 1, "");
  t.insert("/a", "", 2, "");
  t.insert("a/+", "", 3, "");
  EXPECT_EQ(plain_matches(t, "/a"), (std::vector{1, 2}));
  EXPECT_EQ(plain_matches(t, "a/"), (std::vector{3}));
}

TEST(subscription_trie, dollar_topics_skip_leading_wildcards) {
  trie t;
  t.insert("#", "", 1, "");
  t.insert("+/monitor/Clients", "", 2, "");
  t.insert("$SYS/#", "", 3, "");
  t.insert("$SYS/monitor/+", "", 4, "");
  EXPECT_EQ(plain_matches(t, "$SYS/monitor/Clients"), (std::vector{3, 4}));  // [MQTT-4.7.2-1]
  EXPECT_EQ(plain_matches(t, "x/monitor/Clients"), (std::vector{1, 2}));
}

TEST(subscription_trie, insert_replaces_and_erase_prunes) {
  trie t;
  EXPECT_TRUE(t.insert("a/b", "", 1, "first"));
  EXPECT_FALSE(t.insert("a/b", "", 1, "second"));
  EXPECT_EQ(t.size(), 1u);
  std::string seen;
  t.match(
      "a/b", [&](const trie::entry& e) { seen = e.value; },
      [](std::string_view, trie::share_group&) {});
  EXPECT_EQ(seen, "second");
  EXPECT_FALSE(t.erase("a/b", "", 2));
  EXPECT_FALSE(t.erase("a/c", "", 1));
  EXPECT_TRUE(t.erase("a/b", "", 1));
  EXPECT_EQ(t.size(), 0u);
  int visited = 0;
  t.for_each([&](auto&&...) { ++visited; });
  EXPECT_EQ(visited, 0);
  EXPECT_TRUE(plain_matches(t, "a/b").empty());
}

TEST(subscription_trie, shared_groups_are_reported_once_per_group) {
  trie t;
  t.insert("a/+", "g1", 1, "");
  t.insert("a/+", "g1", 2, "");
  t.insert("a/#", "g2", 3, "");
  t.insert("a/b", "", 4, "");
  std::vector<std::string> groups;
  std::vector<std::size_t> sizes;
  std::vector<int> plain;
  t.match(
      "a/b", [&](const trie::entry& e) { plain.push_back(e.key); },
      [&](std::string_view name, trie::share_group& g) {
        groups.emplace_back(name);
        sizes.push_back(g.members().size());
      });
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(plain, (std::vector{4}));
  ASSERT_NE(t.find_group("a/+", "g1"), nullptr);
  EXPECT_EQ(t.find_group("a/+", "g1")->members().size(), 2u);
  EXPECT_EQ(t.find_group("a/+", "nope"), nullptr);
  EXPECT_TRUE(t.erase("a/+", "g1", 1));
  EXPECT_TRUE(t.erase("a/+", "g1", 2));
  EXPECT_EQ(t.find_group("a/+", "g1"), nullptr);
}

TEST(subscription_trie, for_each_reconstructs_filters) {
  trie t;
  t.insert("a/+/c", "", 1, "");
  t.insert("#", "", 2, "");
  t.insert("x/y", "grp", 3, "");
  std::vector<std::string> filters;
  t.for_each([&](std::string_view filter, int, const std::string&, std::string_view group) {
    filters.push_back(std::string(group.empty() ? "" : "$share/" + std::string(group) + "/") +
                      std::string(filter));
  });
  std::sort(filters.begin(), filters.end());
  EXPECT_EQ(filters, (std::vector<std::string>{"#", "$share/grp/x/y", "a/+/c"}));
}

TEST(subscription_trie, many_subscribers_of_one_filter_stay_exact_through_churn) {
  // Past a handful of entries a filter keeps a key index; removals move the last entry into the
  // hole. Membership must stay exact whatever the order of subscribes and unsubscribes.
  trie t;
  constexpr int k_count = 2000;
  for (int i = 0; i < k_count; ++i) EXPECT_TRUE(t.insert("a/b", "", i, "v"));
  for (int i = 0; i < k_count; i += 2) EXPECT_TRUE(t.erase("a/b", "", i));
  for (int i = 1; i < k_count; i += 4) EXPECT_FALSE(t.insert("a/b", "", i, "updated"));
  EXPECT_FALSE(t.erase("a/b", "", 0));
  std::set<int> seen;
  int updated = 0;
  t.match(
      "a/b",
      [&](const trie::entry& e) {
        EXPECT_TRUE(seen.insert(e.key).second);
        updated += e.value == "updated" ? 1 : 0;
      },
      [](std::string_view, trie::share_group&) {});
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(k_count / 2));
  EXPECT_EQ(*seen.begin(), 1);
  EXPECT_EQ(updated, k_count / 4);
  for (int i = 1; i < k_count; i += 2) EXPECT_TRUE(t.erase("a/b", "", i));
  EXPECT_EQ(t.size(), 0u);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(t.insert("a/b", "g", i, ""));  // a large group too
  for (int i = 0; i < 20; i += 3) EXPECT_TRUE(t.erase("a/b", "g", i));
  EXPECT_EQ(t.find_group("a/b", "g")->members().size(), 13u);
}

}  // namespace
}  // namespace tern::topic
