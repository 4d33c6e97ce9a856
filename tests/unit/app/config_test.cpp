#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace tern::app {
namespace {

class config_test : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    path_ =
        std::filesystem::temp_directory_path() /
        ("tern-config-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::string error_of(const std::string& text) {
    config c;
    try {
      load_config_file(write(text), c);
    } catch (const config_error& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path path_;
};

TEST_F(config_test, reads_every_setting) {
  config c;
  load_config_file(write(R"(
shards = 3
data_dir = "/tmp/x"
[log]
level = "debug"
[limits]
max_packet_size = 4096
connect_timeout = "750ms"
max_keep_alive = 120
[[listeners]]
address = "0.0.0.0"
port = 1884
[[listeners]]
address = "::"
)"),
                   c);
  EXPECT_EQ(c.shards, 3u);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.session.max_packet_size, 4096u);
  EXPECT_EQ(c.session.connect_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(c.session.max_keep_alive, 120);
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].address, "0.0.0.0");
  EXPECT_EQ(c.listeners[0].port, 1884);
  EXPECT_EQ(c.listeners[1].port, 1883);
}

TEST_F(config_test, reads_session_settings) {
  config c;
  load_config_file(write(R"([sessions]
max_session_expiry = "2d"
max_queued_messages = 50
max_queued_bytes = 4096
queue_full_policy = "drop_oldest"
queue_qos0_offline = true
shared_subscription_strategy = "hash_publisher"
max_subscriptions = 7
[limits]
receive_maximum = 5
max_inflight = 6
topic_alias_maximum = 0
[redirect]
server_reference = "b:1883"
permanent = true
)"),
                   c);
  EXPECT_EQ(c.session.max_session_expiry, 2u * 86'400u);
  EXPECT_EQ(c.session.max_queued_messages, 50u);
  EXPECT_EQ(c.session.max_queued_bytes, 4096u);
  EXPECT_EQ(c.session.queue_policy, protocol::queue_full_policy::drop_oldest);
  EXPECT_TRUE(c.session.queue_qos0_offline);
  EXPECT_EQ(c.share_strategy, "hash_publisher");
  EXPECT_EQ(c.session.max_subscriptions_per_session, 7u);
  EXPECT_EQ(c.session.receive_maximum, 5);
  EXPECT_EQ(c.session.max_inflight, 6);
  EXPECT_EQ(c.session.topic_alias_maximum, 0);
  EXPECT_EQ(c.session.server_reference, "b:1883");
  EXPECT_TRUE(c.session.server_moved);
  EXPECT_NE(error_of("[sessions]\nshared_subscription_strategy = \"sticky\"\n")
                .find("sessions.shared_subscription_strategy"),
            std::string::npos);
}

TEST_F(config_test, durations_accept_seconds_and_units) {
  config c;
  load_config_file(write("[limits]\nconnect_timeout = 5\n"), c);
  EXPECT_EQ(c.session.connect_timeout, std::chrono::seconds(5));
  load_config_file(write("[limits]\nconnect_timeout = \"2m\"\n"), c);
  EXPECT_EQ(c.session.connect_timeout, std::chrono::minutes(2));
}

TEST_F(config_test, errors_name_file_line_and_key) {
  const auto error = error_of("shards = 1\n[limits]\nmax_keep_alive = 0\n");
  EXPECT_NE(error.find(":3: limits.max_keep_alive: must be between 1 and 65535"), std::string::npos)
      << error;
  EXPECT_NE(error.find(path_.string()), std::string::npos);
}

TEST_F(config_test, rejects_unknown_keys) {
  EXPECT_NE(error_of("[limits]\nmax_packet = 5\n").find(":2: limits.max_packet: unknown setting"),
            std::string::npos);
  EXPECT_NE(error_of("colour = 1\n").find(":1: colour: unknown setting"), std::string::npos);
}

TEST_F(config_test, rejects_wrong_types_and_values) {
  EXPECT_NE(error_of("shards = \"two\"\n").find("shards: expected an integer"), std::string::npos);
  EXPECT_NE(error_of("[log]\nlevel = \"loud\"\n").find("log.level: must be one of"),
            std::string::npos);
  EXPECT_NE(error_of("[limits]\nconnect_timeout = \"5 parsecs\"\n").find("is not a duration"),
            std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nport = 70000\n").find("listeners[0].port"), std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"http\"\n").find("listeners[0].protocol"),
            std::string::npos);
}

TEST_F(config_test, websocket_listeners) {
  config c;
  load_config_file(
      write("[[listeners]]\nprotocol = \"ws\"\n"
            "[[listeners]]\nprotocol = \"ws\"\nport = 9001\npath = \"/broker/mqtt\"\n"),
      c);
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].protocol, listener_protocol::ws);
  EXPECT_EQ(c.listeners[0].port, 8080);
  EXPECT_EQ(c.listeners[0].websocket.path, "/mqtt");
  EXPECT_EQ(c.listeners[1].port, 9001);
  EXPECT_EQ(c.listeners[1].websocket.path, "/broker/mqtt");
  EXPECT_TRUE(uses_websocket(listener_protocol::wss));
  EXPECT_TRUE(uses_tls(listener_protocol::wss));
  EXPECT_FALSE(uses_tls(listener_protocol::ws));
}

TEST_F(config_test, websocket_listener_errors) {
  EXPECT_NE(error_of("[[listeners]]\npath = \"/mqtt\"\n")
                .find("listeners[0].path: only applies to protocols \"ws\" and \"wss\""),
            std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"ws\"\npath = \"mqtt\"\n")
                .find("listeners[0].path: must start with '/'"),
            std::string::npos);
  EXPECT_NE(
      error_of("[[listeners]]\nprotocol = \"ws\"\npath = \"/a?b\"\n").find("listeners[0].path"),
      std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"ws\"\ncertfile = \"x.crt\"\n")
                .find("listeners[0].certfile: only applies to protocols \"mqtts\" and \"wss\""),
            std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"wss\"\n").find("is required for protocols"),
            std::string::npos);
}

TEST_F(config_test, proxy_protocol_listeners) {
  config c;
  load_config_file(write("[[listeners]]\nproxy_protocol = true\n"
                         "[[listeners]]\nport = 1884\nproxy_protocol = true\n"
                         "use_identity_as_username = \"cn\"\n"
                         "[[listeners]]\nport = 1885\n"),
                   c);
  ASSERT_EQ(c.listeners.size(), 3u);
  EXPECT_TRUE(c.listeners[0].proxy_protocol);
  EXPECT_FALSE(c.listeners[0].identity_from_proxy);
  EXPECT_TRUE(c.listeners[1].identity_from_proxy);
  EXPECT_FALSE(c.listeners[2].proxy_protocol);
}

TEST_F(config_test, proxy_protocol_listener_errors) {
  EXPECT_NE(
      error_of("[[listeners]]\nproxy_protocol = \"yes\"\n").find("listeners[0].proxy_protocol"),
      std::string::npos);
  // Without a PROXY header a plain listener has no certificate to take a username from.
  EXPECT_NE(error_of("[[listeners]]\nuse_identity_as_username = \"cn\"\n")
                .find("listeners[0].use_identity_as_username: only applies to protocols"),
            std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nproxy_protocol = true\nuse_identity_as_username = \"san\"\n")
                .find("carries the certificate's CN only"),
            std::string::npos);
}

TEST_F(config_test, syntax_errors_name_the_line) {
  EXPECT_NE(error_of("shards = 1\nthis is not toml\n").find(":2:"), std::string::npos);
}

TEST_F(config_test, missing_file_is_an_error) {
  config c;
  EXPECT_THROW(load_config_file("/nonexistent/tern.toml", c), config_error);
}

TEST_F(config_test, reads_overload_limits) {
  config c;
  load_config_text(R"([limits]
max_topic_length = 300
max_topic_levels = 9
max_connections = 1000
max_connection_rate = 2.5
connection_burst = 40
max_memory = 2097152
max_output_buffer = 8192
slow_consumer_timeout = "1500ms"
[[listeners]]
address = "127.0.0.1"
max_connections = 10
)",
                   "limits.toml", c);
  EXPECT_EQ(c.session.max_topic_length, 300u);
  EXPECT_EQ(c.session.max_topic_levels, 9u);
  EXPECT_EQ(c.max_connections, 1000u);
  EXPECT_DOUBLE_EQ(c.max_connection_rate, 2.5);
  EXPECT_DOUBLE_EQ(c.connection_burst, 40);
  EXPECT_EQ(c.max_memory, 2'097'152u);
  EXPECT_EQ(c.session.max_output_buffer, 8192u);
  EXPECT_EQ(c.session.slow_consumer_timeout, std::chrono::milliseconds(1500));
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].max_connections, 10u);
}

TEST_F(config_test, overload_defaults_are_resolved_at_start) {
  config c;
  load_config_text("", "empty.toml", c);
  EXPECT_FALSE(c.max_connections.has_value());  // the file limit decides
  EXPECT_FALSE(c.max_memory.has_value());       // half the physical memory
  EXPECT_EQ(c.max_connection_rate, 0);
  EXPECT_EQ(c.session.max_topic_levels, 128u);
}

TEST_F(config_test, reads_password_check_workers_and_their_bound) {
  config c;
  EXPECT_EQ(c.auth_check_threads, 1u);
  EXPECT_EQ(c.max_pending_logins, 32u);
  load_config_text("[auth]\ncheck_threads = 2\nmax_pending_logins = 5\n", "t.toml", c);
  EXPECT_EQ(c.auth_check_threads, 2u);
  EXPECT_EQ(c.max_pending_logins, 5u);
  EXPECT_THROW(load_config_text("[auth]\ncheck_threads = 0\n", "t.toml", c), config_error);
  EXPECT_THROW(load_config_text("[auth]\nmax_pending_logins = 0\n", "t.toml", c), config_error);
}

TEST_F(config_test, overload_limits_out_of_range_are_errors) {
  const auto error_in_text = [](const std::string& text) -> std::string {
    config c;
    try {
      load_config_text(text, "t.toml", c);
    } catch (const config_error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(
      error_in_text("[limits]\nmax_topic_levels = 0\n").find("t.toml:2: limits.max_topic_levels"),
      std::string::npos);
  EXPECT_NE(error_in_text("[limits]\nmax_memory = 1000\n").find("at least 1048576"),
            std::string::npos);
  EXPECT_NE(error_in_text("[limits]\nmax_connection_rate = \"fast\"\n").find("expected a number"),
            std::string::npos);
  EXPECT_NE(error_in_text("[limits]\nmax_connection_rate = nan\n").find("must be between"),
            std::string::npos);
  EXPECT_NE(error_in_text("[limits\n").find("t.toml:1:"), std::string::npos);
  // A float where an integer belongs, too large for one (a config fuzzer find).
  EXPECT_NE(error_in_text("[sessions]\nmax_queued_bytes = 67108e64\n").find("expected an integer"),
            std::string::npos);
}

TEST_F(config_test, reads_sys_interval_and_admin) {
  config defaults;
  EXPECT_EQ(defaults.sys_interval, std::chrono::seconds(10));
  EXPECT_FALSE(defaults.admin.port);
  EXPECT_EQ(defaults.admin.address, "127.0.0.1");
  config c;
  load_config_text(R"(
sys_interval = "30s"
[admin]
address = "::1"
port = 8080
token = "0123456789abcdef"
metrics_auth = true
)",
                   "t.toml", c);
  EXPECT_EQ(c.sys_interval, std::chrono::seconds(30));
  EXPECT_EQ(c.admin.address, "::1");
  EXPECT_EQ(c.admin.port, 8080);
  EXPECT_EQ(c.admin.token, "0123456789abcdef");
  EXPECT_TRUE(c.admin.metrics_auth);
  config off;
  load_config_text("sys_interval = 0\n", "t.toml", off);
  EXPECT_EQ(off.sys_interval.count(), 0);
}

TEST_F(config_test, admin_errors_name_the_setting) {
  const auto error_in_text = [](const std::string& text) -> std::string {
    config c;
    try {
      load_config_text(text, "t.toml", c);
    } catch (const config_error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_in_text("sys_interval = \"500ms\"\n").find("at least 1 second"),
            std::string::npos);
  EXPECT_NE(error_in_text("[admin]\ntoken = \"short\"\n").find("admin.token"), std::string::npos);
  EXPECT_NE(error_in_text("[admin]\nport = 0\n").find("admin.port"), std::string::npos);
  EXPECT_NE(error_in_text("[admin]\naddress = \"localhost\"\n").find("not an IPv4"),
            std::string::npos);
  EXPECT_NE(error_in_text("[admin]\nprot = 1\n").find("unknown setting"), std::string::npos);
}

}  // namespace
}  // namespace tern::app
