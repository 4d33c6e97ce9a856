// UTF-8 Encoded String rules ([MQTT-1.5.4-1..3]).

#include "codec/utf8.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace tern::codec {
namespace {

using namespace std::string_view_literals;

TEST(utf8, accepts_well_formed_text) {
  EXPECT_TRUE(is_valid_mqtt_utf8(""));
  EXPECT_TRUE(is_valid_mqtt_utf8("sensors/temperature"));
  EXPECT_TRUE(is_valid_mqtt_utf8("\x7F"));              // U+007F (DEL) is allowed
  EXPECT_TRUE(is_valid_mqtt_utf8("\xC2\x80"));          // U+0080, smallest two-byte form
  EXPECT_TRUE(is_valid_mqtt_utf8("caf\xC3\xA9"));       // é
  EXPECT_TRUE(is_valid_mqtt_utf8("\xDF\xBF"));          // U+07FF
  EXPECT_TRUE(is_valid_mqtt_utf8("\xE0\xA0\x80"));      // U+0800, smallest three-byte form
  EXPECT_TRUE(is_valid_mqtt_utf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(is_valid_mqtt_utf8("\xED\x9F\xBF"));      // U+D7FF, just below surrogates
  EXPECT_TRUE(is_valid_mqtt_utf8("\xEE\x80\x80"));      // U+E000, just above surrogates
  EXPECT_TRUE(is_valid_mqtt_utf8("\xEF\xBF\xBF"));      // U+FFFF (non-character, allowed)
  EXPECT_TRUE(is_valid_mqtt_utf8("\xF0\x90\x80\x80"));  // U+10000
  EXPECT_TRUE(is_valid_mqtt_utf8("\xF0\x9F\x98\x80"));  // 😀
  EXPECT_TRUE(is_valid_mqtt_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  EXPECT_TRUE(is_valid_mqtt_utf8("\x01\x1F"));          // control characters are a SHOULD
}

TEST(utf8, accepts_byte_order_mark) {
  // [MQTT-1.5.4-3]: EF BB BF is U+FEFF and must not be skipped or stripped.
  EXPECT_TRUE(is_valid_mqtt_utf8("\xEF\xBB\xBF"));
  EXPECT_TRUE(is_valid_mqtt_utf8("\xEF\xBB\xBFtopic"));
  EXPECT_TRUE(is_valid_mqtt_utf8("a\xEF\xBB\xBF"));
}

TEST(utf8, rejects_null_character) {
  // [MQTT-1.5.4-2]
  EXPECT_FALSE(is_valid_mqtt_utf8("\0"sv));
  EXPECT_FALSE(is_valid_mqtt_utf8("ab\0cd"sv));
  EXPECT_FALSE(is_valid_mqtt_utf8("abc\0"sv));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xC0\x80"sv));  // "modified UTF-8" NUL is overlong
}

TEST(utf8, rejects_overlong_forms) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\xC0\xAF"));          // '/' in two bytes
  EXPECT_FALSE(is_valid_mqtt_utf8("\xC1\xBF"));          // U+007F in two bytes
  EXPECT_FALSE(is_valid_mqtt_utf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(is_valid_mqtt_utf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(utf8, rejects_surrogates) {
  // [MQTT-1.5.4-1]: U+D800..U+DFFF must not appear.
  EXPECT_FALSE(is_valid_mqtt_utf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(is_valid_mqtt_utf8("\xED\xAF\xBF"));  // U+DBFF
  EXPECT_FALSE(is_valid_mqtt_utf8("\xED\xB0\x80"));  // U+DC00
  EXPECT_FALSE(is_valid_mqtt_utf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_FALSE(is_valid_mqtt_utf8("ok\xED\xA0\x80ok"));
  // CESU-8 style surrogate pair for U+1F600
  EXPECT_FALSE(is_valid_mqtt_utf8("\xED\xA0\xBD\xED\xB8\x80"));
}

TEST(utf8, rejects_code_points_above_10ffff) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF7\xBF\xBF\xBF"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF8\x88\x80\x80\x80"));  // five-byte form
  EXPECT_FALSE(is_valid_mqtt_utf8("\xFC\x84\x80\x80\x80\x80"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xFE"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xFF"));
}

TEST(utf8, rejects_lone_continuation_bytes) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\x80"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xBF"));
  EXPECT_FALSE(is_valid_mqtt_utf8("a\x80z"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xC3\xA9\xA9"));  // one continuation too many
}

TEST(utf8, rejects_truncated_sequences) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\xC3"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xE2\x82"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF0\x9F\x98"));
  EXPECT_FALSE(is_valid_mqtt_utf8("abc\xE2"));
  // A lead byte followed by a non-continuation byte.
  EXPECT_FALSE(is_valid_mqtt_utf8("\xC3("));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xE2(\xAC"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xF0\x9F(\x80"));
}

TEST(utf8, every_single_byte) {
  for (int b = 0; b < 256; ++b) {
    const std::string s(1, static_cast<char>(b));
    const bool expected = b >= 0x01 && b <= 0x7F;
    EXPECT_EQ(is_valid_mqtt_utf8(s), expected) << "byte " << b;
  }
}

}  // namespace
}  // namespace tern::codec
