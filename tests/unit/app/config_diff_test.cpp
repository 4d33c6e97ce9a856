// The reload diff: which settings changed, which of them apply live and which wait for a
// restart, and how listeners are matched (address, port, protocol) into removed, added and
// changed in place.

#include "app/config_diff.hpp"

#include <gtest/gtest.h>

namespace tern::app {
namespace {

config parse(const std::string& text) {
  config c;
  load_config_text(text, "test.toml", c);
  if (c.listeners.empty()) c.listeners = default_listeners();
  return c;
}

const setting_change* find(const config_diff& d, std::string_view key) {
  for (const auto& c : d.settings) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

TEST(config_diff, identical_configurations_are_unchanged) {
  const auto text = R"(
shards = 2
[log]
level = "debug"
[[listeners]]
port = 1884
)";
  const auto d = diff_configs(parse(text), parse(text));
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(diff_configs(config{}, config{}).empty());
}

TEST(config_diff, log_level_and_format_are_live_the_log_file_is_not) {
  const auto d = diff_configs(parse(""), parse(R"(
[log]
level = "debug"
format = "json"
file = "/tmp/tern.log"
)"));
  ASSERT_EQ(d.settings.size(), 3u);
  const auto* level = find(d, "log.level");
  ASSERT_NE(level, nullptr);
  EXPECT_TRUE(level->live);
  EXPECT_EQ(level->before, "\"info\"");
  EXPECT_EQ(level->after, "\"debug\"");
  ASSERT_NE(find(d, "log.format"), nullptr);
  EXPECT_TRUE(find(d, "log.format")->live);
  const auto* file = find(d, "log.file");
  ASSERT_NE(file, nullptr);
  EXPECT_FALSE(file->live);
  EXPECT_EQ(file->before, "unset");
  EXPECT_EQ(file->after, "\"/tmp/tern.log\"");
  EXPECT_TRUE(d.changed("log.level"));
  EXPECT_FALSE(d.changed("shards"));
}

TEST(config_diff, session_limits_wait_for_a_restart_admission_limits_do_not) {
  const auto d = diff_configs(parse(""), parse(R"(
[limits]
max_inflight = 10
max_connections = 500
max_connection_rate = 2.5
connect_timeout = "500ms"
[sessions]
max_queued_messages = 5000
shared_subscription_strategy = "random"
)"));
  const auto* queued = find(d, "sessions.max_queued_messages");
  ASSERT_NE(queued, nullptr);
  EXPECT_FALSE(queued->live);
  EXPECT_EQ(queued->before, "1000");
  EXPECT_EQ(queued->after, "5000");
  ASSERT_NE(find(d, "limits.max_inflight"), nullptr);
  EXPECT_FALSE(find(d, "limits.max_inflight")->live);
  const auto* timeout = find(d, "limits.connect_timeout");
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(timeout->before, "10s");
  EXPECT_EQ(timeout->after, "500ms");
  const auto* max = find(d, "limits.max_connections");
  ASSERT_NE(max, nullptr);
  EXPECT_TRUE(max->live);
  EXPECT_EQ(max->before, "unset");
  EXPECT_EQ(max->after, "500");
  ASSERT_NE(find(d, "limits.max_connection_rate"), nullptr);
  EXPECT_EQ(find(d, "limits.max_connection_rate")->after, "2.5");
  ASSERT_NE(find(d, "sessions.shared_subscription_strategy"), nullptr);
  EXPECT_TRUE(find(d, "sessions.shared_subscription_strategy")->live);
  EXPECT_EQ(d.settings.size(), 6u);
}

TEST(config_diff, store_shards_and_admin_wait_for_a_restart_and_the_token_stays_hidden) {
  const auto d = diff_configs(parse(R"(
[admin]
port = 8080
token = "0123456789abcdef"
)"),
                              parse(R"(
shards = 3
data_dir = "/var/lib/tern"
[storage]
durability = "os"
[admin]
port = 8081
token = "fedcba9876543210"
)"));
  for (const auto* key :
       {"shards", "data_dir", "storage.durability", "admin.port", "admin.token"}) {
    const auto* c = find(d, key);
    ASSERT_NE(c, nullptr) << key;
    EXPECT_FALSE(c->live) << key;
  }
  EXPECT_EQ(find(d, "admin.token")->before, "(hidden)");
  EXPECT_EQ(find(d, "admin.token")->after, "(hidden)");
  EXPECT_EQ(find(d, "storage.durability")->after, "\"os\"");
}

TEST(config_diff, auth_file_paths_are_live) {
  config a;
  config b;
  b.acl_file = "/etc/tern/acl";
  const auto d = diff_configs(a, b);
  ASSERT_EQ(d.settings.size(), 1u);
  EXPECT_EQ(d.settings[0].key, "auth.acl_file");
  EXPECT_TRUE(d.settings[0].live);
  EXPECT_EQ(d.settings[0].before, "unset");
  EXPECT_EQ(d.settings[0].after, "\"/etc/tern/acl\"");
}

TEST(config_diff, listeners_are_matched_by_address_port_and_protocol) {
  const auto before = parse(R"(
[[listeners]]
port = 1883
[[listeners]]
port = 1884
[[listeners]]
port = 8080
protocol = "ws"
)");
  const auto after = parse(R"(
[[listeners]]
port = 1883
[[listeners]]
port = 1885
[[listeners]]
port = 8080
protocol = "mqtt"
)");
  const auto d = diff_configs(before, after);
  EXPECT_TRUE(d.settings.empty());
  EXPECT_TRUE(d.updated.empty());
  ASSERT_EQ(d.removed.size(), 2u);
  EXPECT_EQ(describe(d.removed[0]), "mqtt 127.0.0.1:1884");
  EXPECT_EQ(describe(d.removed[1]), "ws 127.0.0.1:8080");
  ASSERT_EQ(d.added.size(), 2u);
  EXPECT_EQ(describe(d.added[0]), "mqtt 127.0.0.1:1885");
  EXPECT_EQ(describe(d.added[1]), "mqtt 127.0.0.1:8080");
}

TEST(config_diff, a_listener_with_other_settings_is_updated_in_place) {
  const auto d = diff_configs(parse(R"(
[[listeners]]
address = "::1"
port = 8080
protocol = "ws"
)"),
                              parse(R"(
[[listeners]]
address = "::1"
port = 8080
protocol = "ws"
path = "/ws"
allow_anonymous = false
max_connections = 10
proxy_protocol = true
)"));
  EXPECT_TRUE(d.removed.empty());
  EXPECT_TRUE(d.added.empty());
  ASSERT_EQ(d.updated.size(), 1u);
  EXPECT_EQ(describe(d.updated[0].after), "ws [::1]:8080");
  EXPECT_EQ(d.updated[0].settings, (std::vector<std::string>{"max_connections", "allow_anonymous",
                                                             "proxy_protocol", "path"}));
  EXPECT_EQ(d.updated[0].after.websocket.path, "/ws");
}

TEST(config_diff, default_listeners_give_way_to_configured_ones) {
  const auto d = diff_configs(parse(""), parse(R"(
[[listeners]]
address = "127.0.0.1"
port = 1883
[[listeners]]
address = "0.0.0.0"
port = 1884
)"));
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].address, "::1");
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].address, "0.0.0.0");
  EXPECT_TRUE(d.updated.empty());
}

TEST(config_diff, tls_settings_of_a_listener_are_compared) {
  config a;
  listener_config l;
  l.address = "127.0.0.1";
  l.port = 8883;
  l.protocol = listener_protocol::mqtts;
  l.tls.certfile = "/a.crt";
  l.tls.keyfile = "/a.key";
  a.listeners = {l};
  config b = a;
  b.listeners[0].tls.certfile = "/b.crt";
  b.listeners[0].tls.require_certificate = true;
  const auto d = diff_configs(a, b);
  ASSERT_EQ(d.updated.size(), 1u);
  EXPECT_EQ(d.updated[0].settings, (std::vector<std::string>{"certfile", "require_certificate"}));
}

}  // namespace
}  // namespace tern::app
