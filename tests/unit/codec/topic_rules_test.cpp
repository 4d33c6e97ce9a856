// Topic Name and Topic Filter rules ([MQTT-4.7]) and shared subscriptions ([MQTT-4.8.2]).

#include "codec/topic_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tern::codec {
namespace {

using namespace std::string_view_literals;

TEST(topic_name, accepts_ordinary_names) {
  for (auto name : {"a", "a/b", "/", "//", "/a", "a/", "sport/tennis/player1", "$SYS/broker/uptime",
                    "$share/g/a", " ", "caf\xC3\xA9/\xE2\x82\xAC"}) {
    EXPECT_EQ(validate_topic_name(name), topic_error::none) << name;
  }
}

TEST(topic_name, rejects_empty) {
  // [MQTT-4.7.3-1]
  EXPECT_EQ(validate_topic_name(""), topic_error::empty);
}

TEST(topic_name, rejects_wildcards) {
  // [MQTT-3.3.2-2]
  for (auto name : {"+", "#", "a/+", "a/#", "a/+/b", "a+", "a#b", "sport/tennis#"}) {
    EXPECT_EQ(validate_topic_name(name), topic_error::wildcard_in_name) << name;
  }
}

TEST(topic_name, rejects_invalid_utf8) {
  EXPECT_EQ(validate_topic_name("a/\xED\xA0\x80"), topic_error::invalid_utf8);
  EXPECT_EQ(validate_topic_name("a\0b"sv), topic_error::invalid_utf8);
  EXPECT_EQ(validate_topic_name("\xC0\xAF"), topic_error::invalid_utf8);
}

TEST(topic_name, enforces_length_limit) {
  topic_limits limits;
  limits.max_length = 5;
  EXPECT_EQ(validate_topic_name("abcde", limits), topic_error::none);
  EXPECT_EQ(validate_topic_name("abcdef", limits), topic_error::too_long);
  // The default limit is what the wire can carry.
  EXPECT_EQ(validate_topic_name(std::string(65'535, 'a')), topic_error::none);
  EXPECT_EQ(validate_topic_name(std::string(65'536, 'a')), topic_error::too_long);
}

TEST(topic_name, enforces_level_limit) {
  topic_limits limits;
  limits.max_levels = 3;
  EXPECT_EQ(validate_topic_name("a/b/c", limits), topic_error::none);
  EXPECT_EQ(validate_topic_name("a/b/c/d", limits), topic_error::too_many_levels);
  EXPECT_EQ(validate_topic_name("//", limits), topic_error::none);  // three empty levels
  EXPECT_EQ(validate_topic_name("///", limits), topic_error::too_many_levels);
  limits.max_levels = 1;
  EXPECT_EQ(validate_topic_name("abc", limits), topic_error::none);
  EXPECT_EQ(validate_topic_name("a/", limits), topic_error::too_many_levels);
}

TEST(topic_filter, accepts_valid_filters) {
  for (auto filter : {"a", "a/b", "#", "+", "a/#", "+/+", "/+", "+/", "a/+/b", "+/#", "/#", "//",
                      "sport/tennis/+", "sport/+/player1", "$SYS/#", "+/+/+/#"}) {
    EXPECT_EQ(validate_topic_filter(filter), topic_error::none) << filter;
  }
}

TEST(topic_filter, rejects_misplaced_wildcards) {
  // [MQTT-4.7.1-1], [MQTT-4.7.1-2]
  for (auto filter : {"a#", "a/#/b", "#/a", "##", "a/b#", "#a", "a+", "+a", "a/+b", "a/b+/c", "++",
                      "sport/tennis#", "+#", "a/#/"}) {
    EXPECT_EQ(validate_topic_filter(filter), topic_error::misplaced_wildcard) << filter;
  }
}

TEST(topic_filter, rejects_empty_and_invalid_utf8) {
  EXPECT_EQ(validate_topic_filter(""), topic_error::empty);
  EXPECT_EQ(validate_topic_filter("a/\xFF"), topic_error::invalid_utf8);
  EXPECT_EQ(validate_topic_filter("+/\0"sv), topic_error::invalid_utf8);
}

TEST(topic_filter, enforces_limits) {
  topic_limits limits;
  limits.max_length = 4;
  limits.max_levels = 2;
  EXPECT_EQ(validate_topic_filter("a/#", limits), topic_error::none);
  EXPECT_EQ(validate_topic_filter("ab/cd", limits), topic_error::too_long);
  EXPECT_EQ(validate_topic_filter("+/+/", limits), topic_error::too_many_levels);
  EXPECT_EQ(validate_topic_filter(std::string(65'536, 'a')), topic_error::too_long);
}

TEST(topic_filter, accepts_shared_subscriptions) {
  for (auto filter : {"$share/g/a/+", "$share/g/#", "$share/group1/sport/tennis/+", "$share/g/a",
                      "$share/g//", "$share/g/+"}) {
    EXPECT_EQ(validate_topic_filter(filter), topic_error::none) << filter;
  }
}

TEST(topic_filter, rejects_bad_shared_subscriptions) {
  // [MQTT-4.8.2-1]: ShareName at least one character; [MQTT-4.8.2-2]: no '/', '+' or '#',
  // and a filter must follow.
  for (auto filter : {"$share//a", "$share/g", "$share/g/", "$share/g+/a", "$share/#/a",
                      "$share/+/a", "$share/g#/a", "$share/", "$share//"}) {
    EXPECT_EQ(validate_topic_filter(filter), topic_error::invalid_share_name) << filter;
  }
  // The filter part follows the usual wildcard rules.
  EXPECT_EQ(validate_topic_filter("$share/g/a#"), topic_error::misplaced_wildcard);
  EXPECT_EQ(validate_topic_filter("$share/g/#/a"), topic_error::misplaced_wildcard);
}

TEST(topic_filter, share_prefix_is_case_sensitive_and_needs_the_slash) {
  // Not shared subscriptions, so they are ordinary filters.
  EXPECT_EQ(validate_topic_filter("$SHARE/g"), topic_error::none);
  EXPECT_EQ(validate_topic_filter("$share"), topic_error::none);
  EXPECT_EQ(validate_topic_filter("$sharex/g"), topic_error::none);
}

TEST(split_shared_filter, splits_shared_filters) {
  auto s = split_shared_filter("$share/g/a/+");
  EXPECT_EQ(s.share_name, "g");
  EXPECT_EQ(s.filter, "a/+");

  s = split_shared_filter("$share/consumers/sport/#");
  EXPECT_EQ(s.share_name, "consumers");
  EXPECT_EQ(s.filter, "sport/#");

  s = split_shared_filter("$share/g//");
  EXPECT_EQ(s.share_name, "g");
  EXPECT_EQ(s.filter, "/");
}

TEST(split_shared_filter, leaves_plain_filters_alone) {
  auto s = split_shared_filter("a/+/b");
  EXPECT_TRUE(s.share_name.empty());
  EXPECT_EQ(s.filter, "a/+/b");

  s = split_shared_filter("$SYS/#");
  EXPECT_TRUE(s.share_name.empty());
  EXPECT_EQ(s.filter, "$SYS/#");

  s = split_shared_filter("$share");
  EXPECT_TRUE(s.share_name.empty());
  EXPECT_EQ(s.filter, "$share");
}

TEST(split_shared_filter, views_point_into_the_input) {
  const std::string filter = "$share/grp/x/y";
  const auto s = split_shared_filter(filter);
  EXPECT_EQ(s.share_name.data(), filter.data() + 7);
  EXPECT_EQ(s.filter.data(), filter.data() + 11);
}

TEST(has_wildcard, detects_plus_and_hash) {
  EXPECT_FALSE(has_wildcard("a/b"));
  EXPECT_FALSE(has_wildcard(""));
  EXPECT_TRUE(has_wildcard("a/+"));
  EXPECT_TRUE(has_wildcard("#"));
  EXPECT_TRUE(has_wildcard("a#b"));
}

TEST(topic_error, has_names) {
  EXPECT_EQ(to_string(topic_error::none), "valid");
  EXPECT_NE(to_string(topic_error::invalid_share_name), to_string(topic_error::misplaced_wildcard));
}

}  // namespace
}  // namespace tern::codec
