#include "core/subscription_index.hpp"

#include <gtest/gtest.h>

#include <map>

namespace tern::core {
namespace {

struct member {
  session_key key;
  protocol::presence_ptr presence = online_presence();
  static protocol::presence_ptr online_presence() {
    protocol::presence_ptr p = new protocol::session_presence;
    p->online = true;
    return p;
  }
};

class subscription_index_test : public ::testing::Test {
 protected:
  void add_members(subscription_index& index, std::vector<member>& members) {
    for (std::uint64_t i = 0; i < 3; ++i) {
      members.push_back(member{{0, i + 1}});
      index.add(
          "$share/g/t/+", members.back().key,
          subscriber{
              {codec::qos::at_least_once, false, false, {}}, {}, members.back().presence, {}, {}});
    }
  }
  std::map<std::uint64_t, int> deliveries(subscription_index& index, int count,
                                          std::uint64_t publisher = 99) {
    std::map<std::uint64_t, int> seen;
    for (int i = 0; i < count; ++i) {
      std::vector<match_hit> hits;
      index.match("t/x", publisher, hits);
      EXPECT_EQ(hits.size(), 1u);
      for (const auto& h : hits) ++seen[h.key.session];
    }
    return seen;
  }
};

TEST_F(subscription_index_test, round_robin_spreads_evenly) {
  subscription_index index;
  std::vector<member> members;
  add_members(index, members);
  const auto seen = deliveries(index, 30);
  for (const auto& m : members) EXPECT_EQ(seen.at(m.key.session), 10);
}

TEST_F(subscription_index_test, offline_members_are_skipped_while_others_are_online) {
  subscription_index index;
  std::vector<member> members;
  add_members(index, members);
  members[1].presence->online.store(false);
  const auto seen = deliveries(index, 20);
  EXPECT_FALSE(seen.contains(members[1].key.session));
  EXPECT_EQ(seen.at(members[0].key.session) + seen.at(members[2].key.session), 20);
  for (auto& m : members) m.presence->online.store(false);
  EXPECT_EQ(deliveries(index, 3).size(), 3u);  // nobody online: still delivered (queued)
}

TEST_F(subscription_index_test, hash_publisher_keeps_one_member_per_publisher) {
  subscription_index index(share_strategy::hash_publisher);
  std::vector<member> members;
  add_members(index, members);
  EXPECT_EQ(deliveries(index, 10, 7).size(), 1u);
  EXPECT_EQ(deliveries(index, 10, 8).size(), 1u);
}

TEST_F(subscription_index_test, random_reaches_every_member) {
  subscription_index index(share_strategy::random);
  std::vector<member> members;
  add_members(index, members);
  EXPECT_EQ(deliveries(index, 300).size(), 3u);
}

TEST_F(subscription_index_test, pick_shared_member_excludes_the_leaver) {
  subscription_index index;
  std::vector<member> members;
  add_members(index, members);
  for (int i = 0; i < 6; ++i) {
    const auto hit = index.pick_shared_member("$share/g/t/+", members[0].key, false);
    ASSERT_TRUE(hit);
    EXPECT_NE(hit->key, members[0].key);
  }
  members[1].presence->online.store(false);
  members[2].presence->online.store(false);
  EXPECT_FALSE(index.pick_shared_member("$share/g/t/+", members[0].key, false));
  const auto fallback = index.pick_shared_member("$share/g/t/+", members[0].key, true);
  if (fallback) {
    EXPECT_NE(fallback->key, members[0].key);
  }
  EXPECT_FALSE(index.pick_shared_member("$share/other/t/+", members[0].key, true));
}

}  // namespace
}  // namespace tern::core
