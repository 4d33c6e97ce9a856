#include "core/retained_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace tern::core {
namespace {

using namespace std::chrono_literals;

protocol::message_ptr retained(std::string topic, std::string payload,
                               std::optional<protocol::time_point> expires = {}) {
  auto m = std::make_shared<protocol::message>();
  m->topic = std::move(topic);
  m->payload.assign(payload.begin(), payload.end());
  m->retain = true;
  m->expires_at = expires;
  return m;
}

std::vector<std::string> topics(retained_store& store, std::string_view filter,
                                protocol::time_point now) {
  std::vector<protocol::message_ptr> out;
  store.match(filter, now, out);
  std::vector<std::string> names;
  for (const auto& m : out) names.push_back(m->topic);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(retained_store, matches_filters_and_the_dollar_rule) {
  retained_store store;
  const auto now = protocol::time_point{} + 1h;
  for (const char* t : {"a", "a/b", "a/b/c", "x/b", "$SYS/up"}) store.set(retained(t, "v"));
  EXPECT_EQ(topics(store, "a/#", now), (std::vector<std::string>{"a", "a/b", "a/b/c"}));
  EXPECT_EQ(topics(store, "+/b", now), (std::vector<std::string>{"a/b", "x/b"}));
  EXPECT_EQ(topics(store, "#", now).size(), 4u);  // not $SYS/up [MQTT-4.7.2-1]
  EXPECT_EQ(topics(store, "$SYS/#", now), (std::vector<std::string>{"$SYS/up"}));
  store.set(retained("a/b", ""));  // an empty payload deletes
  EXPECT_EQ(topics(store, "a/#", now), (std::vector<std::string>{"a", "a/b/c"}));
  EXPECT_EQ(store.size(), 4u);
}

TEST(retained_store, sweep_drops_expired_messages) {
  retained_store store;
  const auto now = protocol::time_point{} + 1h;
  store.set(retained("keep/me", "v"));
  store.set(retained("go/away/soon", "v", now + 5s));
  store.set(retained("go/later", "v", now + 50s));
  EXPECT_EQ(topics(store, "#", now + 10s), (std::vector<std::string>{"go/later", "keep/me"}));
  EXPECT_EQ(store.size(), 3u);  // expired but not swept yet
  EXPECT_EQ(store.sweep_expired(now + 10s).size(), 1u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.sweep_expired(now + 60s).size(), 1u);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(topics(store, "#", now + 60s), (std::vector<std::string>{"keep/me"}));
}

}  // namespace
}  // namespace tern::core
