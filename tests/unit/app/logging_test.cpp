#include "app/logging.hpp"

#include <gtest/gtest.h>

namespace tern::app {
namespace {

TEST(json_log_line, is_one_object_per_line) {
  EXPECT_EQ(json_log_line("2026-11-26T10:00:00.000Z", "info", "client connected: id=a"),
            "{\"time\":\"2026-11-26T10:00:00.000Z\",\"level\":\"info\","
            "\"message\":\"client connected: id=a\"}\n");
}

TEST(json_log_line, escapes_what_json_strings_cannot_hold) {
  EXPECT_EQ(json_log_line("t", "warn", "a \"quoted\" \\ back\nslash\t\r\x01\x7f"),
            "{\"time\":\"t\",\"level\":\"warn\",\"message\":"
            "\"a \\\"quoted\\\" \\\\ back\\nslash\\t\\r\\u0001\\u007f\"}\n");
}

TEST(json_log_line, keeps_utf8_as_it_is) {
  EXPECT_EQ(json_log_line("t", "info", "id=\xC3\xA9t\xC3\xA9"),
            "{\"time\":\"t\",\"level\":\"info\",\"message\":\"id=\xC3\xA9t\xC3\xA9\"}\n");
}

}  // namespace
}  // namespace tern::app
