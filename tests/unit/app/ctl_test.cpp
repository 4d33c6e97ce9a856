// `tern ctl` without a broker: the command line, the request each command maps to (escaping
// included), and how answers are shown.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/ctl_output.hpp"
#include "app/ctl_request.hpp"

namespace tern::app {
namespace {

std::optional<ctl_options> parse(const std::vector<const char*>& words) {
  std::vector<std::string> storage{"tern", "ctl"};
  storage.insert(storage.end(), words.begin(), words.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  const auto result = parse_cli(static_cast<int>(argv.size()), argv.data());
  if (!result.options) return std::nullopt;
  return result.options->ctl;
}

api_request request_for(const std::vector<const char*>& words) {
  const auto options = parse(words);
  if (!options) throw std::runtime_error("not parsed");
  return to_api_request(options->command);
}

TEST(percent_encode, keeps_only_unreserved_characters) {
  EXPECT_EQ(percent_encode("Az09-._~"), "Az09-._~");
  EXPECT_EQ(percent_encode("a/b c#+%"), "a%2Fb%20c%23%2B%25");
  EXPECT_EQ(percent_encode("?&=$"), "%3F%26%3D%24");
  EXPECT_EQ(percent_encode("\xC3\xA9\x01"), "%C3%A9%01");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(ctl_request, listings_with_and_without_search) {
  auto r = request_for({"clients"});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/api/v1/clients");
  EXPECT_EQ(request_for({"clients", "sensor 1&x=y"}).target,
            "/api/v1/clients?search=sensor%201%26x%3Dy");
  EXPECT_EQ(request_for({"sessions"}).target, "/api/v1/sessions");
  EXPECT_EQ(request_for({"sessions", "kit+"}).target, "/api/v1/sessions?search=kit%2B");
  EXPECT_EQ(request_for({"sessions", "list", "delete"}).target, "/api/v1/sessions?search=delete");
  EXPECT_EQ(request_for({"subscriptions"}).target, "/api/v1/subscriptions");
  EXPECT_EQ(request_for({"health"}).target, "/api/v1/health");
  EXPECT_EQ(request_for({"ready"}).target, "/api/v1/ready");
}

TEST(ctl_request, retained_commands) {
  EXPECT_EQ(request_for({"retained"}).target, "/api/v1/retained");
  EXPECT_EQ(request_for({"retained", "home/+/door/#"}).target,
            "/api/v1/retained?topic=home%2F%2B%2Fdoor%2F%23");
  EXPECT_EQ(request_for({"retained", "list", "get"}).target, "/api/v1/retained?topic=get");
  auto get = request_for({"retained", "get", "a/b c/100%"});
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target, "/api/v1/retained/a%2Fb%20c%2F100%25");
  auto del = request_for({"retained", "delete", "/lead//empty/"});
  EXPECT_EQ(del.method, "DELETE");
  EXPECT_EQ(del.target, "/api/v1/retained/%2Flead%2F%2Fempty%2F");
}

TEST(ctl_request, client_and_session_removal) {
  auto d = request_for({"disconnect", "id/with space"});
  EXPECT_EQ(d.method, "DELETE");
  EXPECT_EQ(d.target, "/api/v1/clients/id%2Fwith%20space");
  auto s = request_for({"sessions", "delete", "kitchen"});
  EXPECT_EQ(s.method, "DELETE");
  EXPECT_EQ(s.target, "/api/v1/sessions/kitchen");
}

TEST(ctl_request, publish_and_reload_are_posts) {
  auto p = request_for({"publish", "a/b", "say \"hi\"", "--qos", "2", "--retain"});
  EXPECT_EQ(p.method, "POST");
  EXPECT_EQ(p.target, "/api/v1/publish");
  EXPECT_EQ(p.body, R"({"topic":"a/b","payload":"say \"hi\"","qos":2,"retain":true})");
  EXPECT_EQ(request_for({"publish", "t", ""}).body,
            R"({"topic":"t","payload":"","qos":0,"retain":false})");
  auto r = request_for({"reload"});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/v1/reload");
  EXPECT_TRUE(r.body.empty());
}

TEST(ctl_request, unknown_command_is_refused) {
  EXPECT_THROW(to_api_request(ctl_command{"bogus", {}, 0, false}), std::invalid_argument);
  EXPECT_THROW(to_api_request(ctl_command{"disconnect", {}, 0, false}), std::invalid_argument);
}

TEST(ctl_cli, connection_options_before_or_after_the_command) {
  const auto before = parse({"--host", "10.0.0.1", "--port", "8080", "--timeout", "2.5", "health"});
  ASSERT_TRUE(before);
  EXPECT_EQ(before->host, "10.0.0.1");
  EXPECT_EQ(before->port, 8080);
  EXPECT_DOUBLE_EQ(before->timeout_seconds, 2.5);
  EXPECT_EQ(before->command.name, "health");
  const auto after = parse({"clients", "abc", "--port", "9090", "--token", "t"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->port, 9090);
  EXPECT_EQ(after->token, "t");
  EXPECT_EQ(after->command.args, std::vector<std::string>{"abc"});
}

TEST(ctl_cli, usage_errors) {
  const std::vector<std::vector<const char*>> cases{{},
                                                    {"bogus"},
                                                    {"disconnect"},
                                                    {"retained", "get"},
                                                    {"publish", "topic"},
                                                    {"publish", "t", "p", "--qos", "3"},
                                                    {"--port", "0", "health"},
                                                    {"--token", "x", "--user", "y", "health"},
                                                    {"--timeout", "0", "health"}};
  for (const auto& words : cases) {
    EXPECT_FALSE(parse(words)) << testing::PrintToString(words);
  }
}

TEST(ctl_output, json_is_indented) {
  EXPECT_EQ(format_body(R"({"clients":[{"client_id":"a","n":1,"u":null}],"e":[],"o":{}})"),
            "{\n"
            "  \"clients\": [\n"
            "    {\n"
            "      \"client_id\": \"a\",\n"
            "      \"n\": 1,\n"
            "      \"u\": null\n"
            "    }\n"
            "  ],\n"
            "  \"e\": [],\n"
            "  \"o\": {}\n"
            "}\n");
  EXPECT_EQ(format_body("{\"s\":\"q\\\"\\n\"}\n"), "{\n  \"s\": \"q\\\"\\n\"\n}\n");
}

TEST(ctl_output, other_bodies_as_they_are) {
  EXPECT_EQ(format_body("request too large\n"), "request too large\n");
  EXPECT_EQ(format_body("plain"), "plain\n");
  EXPECT_EQ(format_body(""), "");
}

TEST(ctl_output, error_reason) {
  EXPECT_EQ(error_reason("{\"error\":\"credentials required\"}\n"), "credentials required");
  EXPECT_EQ(error_reason("{\"ready\":false}\n"), "{\"ready\":false}");
  EXPECT_EQ(error_reason("two\nlines\n"), "two lines");
  EXPECT_EQ(error_reason(""), "(empty body)");
}

}  // namespace
}  // namespace tern::app
