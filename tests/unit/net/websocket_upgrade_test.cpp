#include "net/websocket_upgrade.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

namespace http = boost::beast::http;

http::request<http::string_body> upgrade(const std::string& target,
                                         const std::string& protocols = "mqtt") {
  http::request<http::string_body> r{http::verb::get, target, 11};
  r.set(http::field::host, "localhost");
  r.set(http::field::upgrade, "websocket");
  r.set(http::field::connection, "Upgrade");
  r.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  r.set(http::field::sec_websocket_version, "13");
  if (!protocols.empty()) r.set(http::field::sec_websocket_protocol, protocols);
  return r;
}

const websocket_settings k_settings{};

TEST(websocket_upgrade, accepts_mqtt_on_the_path_ignoring_the_query) {
  const auto v = judge_upgrade(upgrade("/mqtt?token=1"), k_settings);
  EXPECT_TRUE(v.accepted());
  EXPECT_EQ(v.subprotocol, "mqtt");
}

TEST(websocket_upgrade, prefers_mqtt_and_accepts_mqttv31) {
  EXPECT_EQ(judge_upgrade(upgrade("/mqtt", "mqttv3.1"), k_settings).subprotocol, "mqttv3.1");
  EXPECT_EQ(judge_upgrade(upgrade("/mqtt", "mqttv3.1, mqtt"), k_settings).subprotocol, "mqtt");
  EXPECT_EQ(judge_upgrade(upgrade("/mqtt", "chat,mqtt"), k_settings).subprotocol, "mqtt");
  auto repeated = upgrade("/mqtt", "chat");
  repeated.insert(http::field::sec_websocket_protocol, "mqtt");
  EXPECT_EQ(judge_upgrade(repeated, k_settings).subprotocol, "mqtt");
}

TEST(websocket_upgrade, refuses_with_the_status_naming_the_problem) {
  EXPECT_EQ(judge_upgrade(upgrade("/other"), k_settings).status, http::status::not_found);
  EXPECT_EQ(judge_upgrade(upgrade("/mqtt/"), k_settings).status, http::status::not_found);
  EXPECT_EQ(judge_upgrade(upgrade("/mqtt", ""), k_settings).status, http::status::bad_request);
  EXPECT_EQ(judge_upgrade(upgrade("/mqtt", "mqtt5, mqttx"), k_settings).status,
            http::status::bad_request);
  http::request<http::string_body> plain{http::verb::get, "/mqtt", 11};
  EXPECT_EQ(judge_upgrade(plain, k_settings).status, http::status::upgrade_required);
  auto post = upgrade("/mqtt");
  post.method(http::verb::post);
  EXPECT_EQ(judge_upgrade(post, k_settings).status, http::status::bad_request);
}

TEST(websocket_upgrade, custom_path) {
  websocket_settings custom;
  custom.path = "/broker";
  EXPECT_TRUE(judge_upgrade(upgrade("/broker"), custom).accepted());
  EXPECT_FALSE(judge_upgrade(upgrade("/mqtt"), custom).accepted());
}

TEST(websocket_upgrade, refusal_response_closes_and_names_the_upgrade) {
  const auto response =
      refusal_response({http::status::upgrade_required, {}, "not a WebSocket upgrade"}, 11);
  EXPECT_EQ(response.result(), http::status::upgrade_required);
  EXPECT_EQ(response[http::field::connection], "close");
  EXPECT_EQ(response[http::field::upgrade], "websocket");
  EXPECT_EQ(response.body(), "not a WebSocket upgrade\n");
}

}  // namespace
}  // namespace tern::net
