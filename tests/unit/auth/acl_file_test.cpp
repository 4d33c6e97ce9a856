// ACL files in Mosquitto's format: sections, patterns, wildcards, deny first.

#include <gtest/gtest.h>

#include "auth/access_control.hpp"
#include "auth/acl_file.hpp"
#include "auth/topic_match.hpp"

namespace tern::auth {
namespace {

const client_identity anonymous{"anon-1", std::nullopt};
const client_identity alice{"sensor-7", "alice"};
const client_identity bob{"bob-phone", "bob"};

constexpr auto R = access::read;
constexpr auto W = access::write;

const char* const k_acl = R"(# anonymous clients
topic read public/#

user alice
topic readwrite home/#
topic deny home/secret/#
topic write logs/alice
topic read status with spaces

user bob
topic read home/+/temperature

# every client
pattern write devices/%c/state
pattern read inbox/%u/#
)";

TEST(acl_file, lines_before_the_first_user_apply_to_anonymous_clients) {
  const auto acl = acl_file::parse(k_acl, "acl");
  EXPECT_TRUE(acl.allows(anonymous, "public/news", R));
  EXPECT_FALSE(acl.allows(anonymous, "public/news", W));
  EXPECT_FALSE(acl.allows(anonymous, "home/kitchen", R));
  // A user's own section replaces the anonymous one.
  EXPECT_FALSE(acl.allows(alice, "public/news", R));
}

TEST(acl_file, user_sections_grant_read_write_and_deny_wins) {
  const auto acl = acl_file::parse(k_acl, "acl");
  EXPECT_TRUE(acl.allows(alice, "home/kitchen/light", R));
  EXPECT_TRUE(acl.allows(alice, "home", W));  // "#" also matches the parent level
  EXPECT_FALSE(acl.allows(alice, "home/secret/key", R));
  EXPECT_FALSE(acl.allows(alice, "home/secret", W));
  EXPECT_TRUE(acl.allows(alice, "logs/alice", W));
  EXPECT_FALSE(acl.allows(alice, "logs/alice", R));
  EXPECT_TRUE(acl.allows(alice, "status with spaces", R));
  EXPECT_TRUE(acl.allows(bob, "home/kitchen/temperature", R));
  EXPECT_FALSE(acl.allows(bob, "home/kitchen/humidity", R));
  EXPECT_FALSE(acl.allows(bob, "home/a/b/temperature", R));
  const client_identity stranger{"x", "mallory"};
  EXPECT_FALSE(acl.allows(stranger, "home/kitchen/temperature", R));
}

TEST(acl_file, patterns_substitute_client_id_and_username_for_everyone) {
  const auto acl = acl_file::parse(k_acl, "acl");
  EXPECT_TRUE(acl.allows(alice, "devices/sensor-7/state", W));
  EXPECT_FALSE(acl.allows(alice, "devices/bob-phone/state", W));
  EXPECT_TRUE(acl.allows(anonymous, "devices/anon-1/state", W));
  EXPECT_TRUE(acl.allows(bob, "inbox/bob/1", R));
  EXPECT_FALSE(acl.allows(bob, "inbox/alice/1", R));
  // %u never applies to anonymous clients.
  EXPECT_FALSE(acl.allows(anonymous, "inbox//1", R));
}

TEST(acl_file, substituted_values_cannot_smuggle_wildcards_or_levels) {
  const auto acl = acl_file::parse(k_acl, "acl");
  const client_identity sneaky{"+", "#"};
  EXPECT_FALSE(acl.allows(sneaky, "devices/x/state", W));
  EXPECT_FALSE(acl.allows(sneaky, "inbox/alice/1", R));
  const client_identity slash{"a/b", "c/d"};
  EXPECT_FALSE(acl.allows(slash, "devices/a/b/state", W));
}

TEST(acl_file, wildcards_do_not_match_dollar_topics) {
  const auto acl = acl_file::parse("topic #\ntopic read $SYS/broker/#\n", "acl");
  EXPECT_TRUE(acl.allows(anonymous, "a/b", W));
  EXPECT_FALSE(acl.allows(anonymous, "$SYS/x", W));
  EXPECT_TRUE(acl.allows(anonymous, "$SYS/broker/uptime", R));
}

TEST(acl_file, subscribe_needs_a_read_grant_that_overlaps_the_filter) {
  const auto acl = acl_file::parse(k_acl, "acl");
  // Inside a grant, away from denies: deliveries need no further check.
  auto d = acl.check_subscribe(alice, "home/kitchen/#");
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.whole_filter);
  // Wider than the grant: allowed, checked per topic.
  d = acl.check_subscribe(alice, "#");
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.whole_filter);
  // Overlapping a deny: checked per topic.
  d = acl.check_subscribe(alice, "home/#");
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.whole_filter);
  // Entirely denied, or no read grant near it.
  EXPECT_FALSE(acl.check_subscribe(alice, "home/secret/#").allowed);
  EXPECT_FALSE(acl.check_subscribe(alice, "logs/alice").allowed);
  EXPECT_FALSE(acl.check_subscribe(bob, "garden/#").allowed);
  EXPECT_TRUE(acl.check_subscribe(bob, "home/+/+").allowed);
}

std::string parse_error_of(const std::string& text) {
  try {
    (void)acl_file::parse(text, "acl.conf");
  } catch (const load_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(acl_file, parse_errors_name_file_and_line) {
  EXPECT_EQ(parse_error_of("topic a\n\nallow a/b\n"),
            "acl.conf:3: unknown keyword 'allow' (expected topic, pattern or user)");
  EXPECT_EQ(parse_error_of("topic read a/#/b\n"),
            "acl.conf:1: 'a/#/b' is not a valid topic filter");
  EXPECT_EQ(parse_error_of("user\n"), "acl.conf:1: user without a name");
  EXPECT_EQ(parse_error_of("# only\ntopic\n"), "acl.conf:2: topic without a topic");
  EXPECT_EQ(parse_error_of("topic read\n"), "no error");  // a topic named "read"
}

TEST(topic_match, filters_and_topics) {
  EXPECT_TRUE(topic_matches("a/+/c", "a/b/c"));
  EXPECT_FALSE(topic_matches("a/+/c", "a/b/c/d"));
  EXPECT_TRUE(topic_matches("a/#", "a"));
  EXPECT_TRUE(topic_matches("+/+", "/x"));
  EXPECT_FALSE(topic_matches("+/x", "$SYS/x"));
  EXPECT_TRUE(filter_within("a/b/#", "a/#"));
  EXPECT_TRUE(filter_within("a/+/c", "a/#"));
  EXPECT_FALSE(filter_within("a/#", "a/+/#"));
  EXPECT_FALSE(filter_within("a/#", "a/+"));
  EXPECT_FALSE(filter_within("$SYS/a", "#"));
  EXPECT_TRUE(filters_overlap("#", "a/b"));
  EXPECT_TRUE(filters_overlap("a/+", "+/b"));
  EXPECT_FALSE(filters_overlap("a/+", "b/#"));
  EXPECT_FALSE(filters_overlap("a/b/c", "a/b"));
  EXPECT_TRUE(filters_overlap("a", "a/#"));
}

TEST(read_grant, whole_filter_grants_skip_the_walk_until_the_acl_changes) {
  access_snapshot snapshot;
  snapshot.acl = std::make_shared<const acl_file>(acl_file::parse(k_acl, "acl"));
  snapshot.generation = 3;
  const auto who = std::make_shared<const client_identity>(alice);
  const auto narrow = make_read_grant(snapshot, who, "home/kitchen/#");
  EXPECT_TRUE(narrow.whole_filter);
  EXPECT_TRUE(may_receive(snapshot, narrow, "home/kitchen/x"));
  const auto wide = make_read_grant(snapshot, who, "#");
  EXPECT_FALSE(wide.whole_filter);
  EXPECT_TRUE(may_receive(snapshot, wide, "home/x"));
  EXPECT_FALSE(may_receive(snapshot, wide, "home/secret/x"));
  EXPECT_FALSE(may_receive(snapshot, wide, "garden"));
  // A reloaded ACL (new generation) that no longer grants it: the cached answer is not used.
  access_snapshot reloaded;
  reloaded.acl = std::make_shared<const acl_file>(acl_file::parse("user alice\n", "acl"));
  reloaded.generation = 4;
  EXPECT_FALSE(may_receive(reloaded, narrow, "home/kitchen/x"));
  // Unknown identity (restored session) under an ACL: nothing; without an ACL: everything.
  EXPECT_FALSE(may_receive(snapshot, read_grant{}, "public/x"));
  EXPECT_TRUE(may_receive(access_snapshot{}, read_grant{}, "public/x"));
}

TEST(acl_file, a_topic_holding_wildcards_is_never_allowed) {
  // A filter is not a topic name: "home/+" matching the grant "home/#" level by level must not
  // make it an allowed topic, for publishing or receiving.
  const auto acl =
      acl_file::parse("user alice\ntopic readwrite home/#\ntopic readwrite a/+\n", "acl");
  EXPECT_TRUE(acl.allows(alice, "home/kitchen", W));
  EXPECT_FALSE(acl.allows(alice, "home/+", W));
  EXPECT_FALSE(acl.allows(alice, "home/#", R));
  EXPECT_FALSE(acl.allows(alice, "a/+", W));
}

}  // namespace
}  // namespace tern::auth
