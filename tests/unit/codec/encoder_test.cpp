// encode() refuses what the wire cannot express: returns 0 and leaves the output untouched.

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "codec_test_support.hpp"

namespace tern::codec {
namespace {

using namespace test;

const std::string k_max_string(65'535, 's');
const std::string k_long_string(65'536, 'l');
const binary k_max_binary(65'535, 0xB1);
const binary k_long_binary(65'536, 0xB2);

// encode() must return 0 and leave `out` exactly as it was.
::testing::AssertionResult refused(const packet& p, protocol_version v) {
  bytes out = {0x01, 0x02, 0x03};
  const auto n = encode(p, v, out);
  if (n != 0) return ::testing::AssertionFailure() << "encode returned " << n;
  if (out != bytes{0x01, 0x02, 0x03}) {
    return ::testing::AssertionFailure() << "output changed to " << out.size() << " bytes";
  }
  return ::testing::AssertionSuccess();
}

// The largest legal value encodes and round-trips.
void expect_accepted(const packet& p, protocol_version v) {
  bytes out;
  const auto n = encode(p, v, out);
  ASSERT_GT(n, 0u);
  decode_options o;
  if (type_of(p) != packet_type::connect) o.version = v;
  packet decoded;
  ASSERT_TRUE(decodes_whole(out, o, decoded));
  EXPECT_TRUE(decoded == p);
}

TEST(encoder, auth_before_v5_is_refused) {
  EXPECT_TRUE(refused(auth{}, protocol_version::v3_1_1));
  EXPECT_TRUE(refused(auth{}, protocol_version::v3_1));
  EXPECT_TRUE(refused(auth{reason_code::continue_authentication, rich_auth_props()},
                      protocol_version::v3_1_1));
}

struct field_case {
  const char* what;
  std::function<packet(const std::string&, const binary&)> make;
  bool v5_only;
};

// Every length-prefixed field, built with a given string (or binary) value.
std::vector<field_case> length_prefixed_fields() {
  return {
      {"publish topic",
       [](const std::string& s, const binary&) {
         publish p;
         p.topic = s;
         return packet{p};
       },
       false},
      {"client id",
       [](const std::string& s, const binary&) {
         connect c;
         c.client_id = s;
         return packet{c};
       },
       false},
      {"will topic",
       [](const std::string& s, const binary&) {
         connect c;
         c.will = will_message{s, {}, {}, false, {}};
         return packet{c};
       },
       false},
      {"will payload",
       [](const std::string&, const binary& b) {
         connect c;
         c.will = will_message{"w", b, {}, false, {}};
         return packet{c};
       },
       false},
      {"username",
       [](const std::string& s, const binary&) {
         connect c;
         c.username = s;
         return packet{c};
       },
       false},
      {"password",
       [](const std::string&, const binary& b) {
         connect c;
         c.username = "u";
         c.password = b;
         return packet{c};
       },
       false},
      {"subscribe filter",
       [](const std::string& s, const binary&) {
         subscribe sub;
         sub.packet_id = 1;
         sub.subscriptions = {{"ok", {}}, {s, {}}};
         return packet{sub};
       },
       false},
      {"unsubscribe filter",
       [](const std::string& s, const binary&) {
         return packet{unsubscribe{1, {"ok", s}, {}}};
       },
       false},
      // Property values are length-prefixed too.
      {"user property key",
       [](const std::string& s, const binary&) {
         publish p;
         p.topic = "t";
         p.props.user_properties = {{"ok", "ok"}, {s, "v"}};
         return packet{p};
       },
       true},
      {"user property value",
       [](const std::string& s, const binary&) {
         disconnect d;
         d.props.user_properties = {{"k", s}};
         return packet{d};
       },
       true},
      {"content type",
       [](const std::string& s, const binary&) {
         publish p;
         p.topic = "t";
         p.props.content_type = s;
         return packet{p};
       },
       true},
      {"response topic",
       [](const std::string& s, const binary&) {
         publish p;
         p.topic = "t";
         p.props.response_topic = s;
         return packet{p};
       },
       true},
      {"correlation data",
       [](const std::string&, const binary& b) {
         publish p;
         p.topic = "t";
         p.props.correlation_data = b;
         return packet{p};
       },
       true},
      {"reason string",
       [](const std::string& s, const binary&) {
         puback a;
         a.packet_id = 1;
         a.props.reason_string = s;
         return packet{a};
       },
       true},
      {"assigned client identifier",
       [](const std::string& s, const binary&) {
         connack c;
         c.props.assigned_client_identifier = s;
         return packet{c};
       },
       true},
      {"authentication method",
       [](const std::string& s, const binary&) {
         connect c;
         c.props.authentication_method = s;
         return packet{c};
       },
       true},
      {"authentication data",
       [](const std::string&, const binary& b) {
         auth a;
         a.props.authentication_method = "m";
         a.props.authentication_data = b;
         return packet{a};
       },
       true},
      {"will property (response topic)",
       [](const std::string& s, const binary&) {
         connect c;
         c.will = will_message{"w", {}, {}, false, {}};
         c.will->props.response_topic = s;
         return packet{c};
       },
       true},
      {"server reference",
       [](const std::string& s, const binary&) {
         disconnect d;
         d.props.server_reference = s;
         return packet{d};
       },
       true},
      {"response information",
       [](const std::string& s, const binary&) {
         connack c;
         c.props.response_information = s;
         return packet{c};
       },
       true},
  };
}

TEST(encoder, strings_and_binaries_over_65535_bytes_are_refused) {
  for (const auto& f : length_prefixed_fields()) {
    SCOPED_TRACE(f.what);
    const auto p = f.make(k_long_string, k_long_binary);
    EXPECT_TRUE(refused(p, protocol_version::v5));
    if (!f.v5_only) {
      EXPECT_TRUE(refused(p, protocol_version::v3_1_1));
      // CONNECT carries its own level.
      if (auto* c = std::get_if<connect>(&p)) {
        auto c3 = *c;
        c3.version = protocol_version::v3_1_1;
        EXPECT_TRUE(refused(c3, protocol_version::v3_1_1));
      }
    }
  }
}

TEST(encoder, strings_and_binaries_of_exactly_65535_bytes_are_accepted) {
  for (const auto& f : length_prefixed_fields()) {
    SCOPED_TRACE(f.what);
    expect_accepted(f.make(k_max_string, k_max_binary), protocol_version::v5);
  }
}

TEST(encoder, subscription_identifier_beyond_varint_range_is_refused) {
  // A Subscription Identifier is a Variable Byte Integer: at most 268,435,455.
  publish p;
  p.topic = "t";
  p.props.subscription_identifiers = {268'435'456};
  EXPECT_TRUE(refused(p, protocol_version::v5));
  p.props.subscription_identifiers = {268'435'455};
  expect_accepted(p, protocol_version::v5);
}

TEST(encoder, v3_drops_what_it_cannot_carry_without_refusing) {
  // Properties are dropped in 3.1.1, so an oversized property does not matter there.
  publish p;
  p.topic = "t";
  p.props.user_properties = {{k_long_string, "v"}};
  bytes out;
  EXPECT_EQ(encode(p, protocol_version::v3_1_1, out), 5u);
  EXPECT_EQ(out, (bytes{0x30, 0x03, 0x00, 0x01, 't'}));
}

TEST(encoder, large_body_is_accepted) {
  // A body far beyond 65,535 bytes is fine as long as each field fits.
  publish p;
  p.topic = k_max_string;
  p.payload.assign(3'000'000, 0x42);
  p.props.user_properties = {{k_max_string, k_max_string}};
  expect_accepted(p, protocol_version::v5);
}

}  // namespace
}  // namespace tern::codec

namespace tern::codec {
namespace {

TEST(encode_publish_head, head_plus_payload_equals_the_whole_packet) {
  for (auto version : {protocol_version::v3_1_1, protocol_version::v5}) {
    for (std::size_t size : {0u, 1u, 120u, 200u, 20'000u}) {
      publish p;
      p.topic = "a/b";
      p.qos_level = qos::at_least_once;
      p.packet_id = 7;
      p.payload.assign(size, 0x5A);
      if (version == protocol_version::v5) p.props.user_properties.emplace_back("k", "v");
      std::vector<std::uint8_t> whole;
      const auto whole_size = encode(p, version, whole);
      std::vector<std::uint8_t> head;
      const auto head_total = encode_publish_head(p, p.payload.size(), version, head);
      EXPECT_EQ(head_total, whole_size);
      head.insert(head.end(), p.payload.begin(), p.payload.end());
      EXPECT_EQ(head, whole) << "payload " << size;
    }
  }
}

}  // namespace
}  // namespace tern::codec
