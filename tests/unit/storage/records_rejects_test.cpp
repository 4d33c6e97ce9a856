// Decoders refuse damaged records instead of returning something made up.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "record_samples.hpp"
#include "storage/records.hpp"

namespace tern::storage::test {
namespace {

using decoder = std::function<bool(std::string_view key, std::string_view value)>;

struct sample {
  const char* name;
  bytes key;
  bytes value;
  decoder decodes;
};

std::vector<sample> valid_samples() {
  auto with_will = full_session(9);
  auto without_will = plain_session(9);
  auto sub = subscription_record{
      9, "a/#", {codec::qos::exactly_once, true, true, codec::retain_handling::do_not_send}, 17};
  return {
      {"message", keys::of_message(5), encode(full_message(5)),
       [](auto k, auto v) { return decode_message(k, v).has_value(); }},
      {"plain message", keys::of_message(5), encode(plain_message(5)),
       [](auto k, auto v) { return decode_message(k, v).has_value(); }},
      {"entry", keys::of_entry(9, 5), encode(full_entry(9, 5)),
       [](auto k, auto v) { return decode_entry(k, v).has_value(); }},
      {"subscription", keys::of_subscription(9, "a/#"), encode(sub),
       [](auto k, auto v) { return decode_subscription(k, v).has_value(); }},
      {"session with will", keys::of_session(9), encode(with_will),
       [](auto k, auto v) { return decode_session(k, v).has_value(); }},
      {"session without will", keys::of_session(9), encode(without_will),
       [](auto k, auto v) { return decode_session(k, v).has_value(); }},
      {"retained", keys::of_retained("a/b"), encode_retained(5, 1),
       [](auto k, auto v) { return decode_retained(k, v).has_value(); }},
  };
}

TEST(storage_records_rejects, samples_are_valid_to_begin_with) {
  for (const auto& s : valid_samples()) EXPECT_TRUE(s.decodes(s.key, s.value)) << s.name;
}

TEST(storage_records_rejects, every_truncation_of_a_value) {
  for (const auto& s : valid_samples()) {
    for (std::size_t size = 0; size < s.value.size(); ++size) {
      EXPECT_FALSE(s.decodes(s.key, std::string_view(s.value).substr(0, size)))
          << s.name << " cut to " << size << " of " << s.value.size() << " bytes";
    }
  }
}

TEST(storage_records_rejects, trailing_bytes_after_a_value) {
  for (const auto& s : valid_samples()) {
    EXPECT_FALSE(s.decodes(s.key, s.value + '\0')) << s.name;
    EXPECT_FALSE(s.decodes(s.key, s.value + "junk")) << s.name;
  }
}

TEST(storage_records_rejects, garbage_values) {
  // 0xFF is no record version, QoS, option byte or short length; the other patterns are what a
  // zeroed or scribbled block leaves.
  for (const auto& s : valid_samples()) {
    for (const std::size_t size : {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{7},
                                   std::size_t{9}, std::size_t{64}}) {
      EXPECT_FALSE(s.decodes(s.key, bytes(size, '\xFF'))) << s.name << " " << size;
    }
    EXPECT_FALSE(s.decodes(s.key, bytes(200, '\xA5'))) << s.name;
  }
  // Records that start with a version or QoS byte also refuse a zeroed value. (Eight zero bytes
  // are retained message id 0, and six a QoS 0 subscription: valid, as the format has no
  // checksum of its own; RocksDB's block checksums catch such damage.)
  for (const auto& s : valid_samples()) {
    const std::string_view name = s.name;
    if (name == "retained" || name == "subscription") continue;
    EXPECT_FALSE(s.decodes(s.key, bytes(s.value.size(), '\0'))) << s.name;
  }
}

TEST(storage_records_rejects, wrong_key_sizes) {
  const auto message = encode(plain_message(1));
  EXPECT_FALSE(decode_message(keys::of_message(1).substr(0, 8), message));
  EXPECT_FALSE(decode_message(keys::of_message(1) + 'x', message));
  EXPECT_FALSE(decode_message("m", message));

  const auto entry = encode(full_entry(1, 2));
  EXPECT_FALSE(decode_entry(keys::of_entry(1, 2).substr(0, 16), entry));
  EXPECT_FALSE(decode_entry(keys::of_entry(1, 2) + 'x', entry));
  EXPECT_FALSE(decode_entry(keys::of_message(2), entry));

  const auto session = encode(plain_session(1));
  EXPECT_FALSE(decode_session(keys::of_session(1).substr(0, 8), session));
  EXPECT_FALSE(decode_session(keys::of_session(1) + 'x', session));

  EXPECT_FALSE(decode_inbound(keys::of_inbound(1, 2).substr(0, 10)));
  EXPECT_FALSE(decode_inbound(keys::of_inbound(1, 2) + 'x'));
  EXPECT_FALSE(decode_inbound("i"));

  const auto subscription = encode(subscription_record{1, "a", {}, {}});
  EXPECT_FALSE(decode_subscription(keys::of_subscription(1, ""), subscription));  // no filter
  EXPECT_FALSE(decode_subscription(keys::of_subscription(1, "").substr(0, 5), subscription));

  EXPECT_FALSE(decode_retained(keys::of_retained(""), encode_retained(1, 1)));  // no topic
  EXPECT_FALSE(decode_retained(keys::of_retained("a"), ""));
  EXPECT_FALSE(decode_retained(keys::of_retained("a"), encode_retained(1, 1).substr(0, 7)));
  EXPECT_FALSE(decode_retained(keys::of_retained("a"), encode_retained(1, 1) + 'x'));
}

// Returns `value` with the byte at `offset` set to `b`.
bytes patched(bytes value, std::size_t offset, std::uint8_t b) {
  value.at(offset) = static_cast<char>(b);
  return value;
}

TEST(storage_records_rejects, message_fields_out_of_range) {
  const auto key = keys::of_message(1);
  const auto value = encode(plain_message(1));
  ASSERT_TRUE(decode_message(key, value));
  EXPECT_FALSE(decode_message(key, patched(value, 0, 0)));  // record version
  EXPECT_FALSE(decode_message(key, patched(value, 0, 2)));
  EXPECT_FALSE(decode_message(key, patched(value, 9, 3)));  // QoS 3
  // A property a PUBLISH cannot carry.
  auto m = plain_message(1);
  m.props.will_delay_interval = 5;
  EXPECT_FALSE(decode_message(key, encode(m)));
  // Invalid UTF-8 in a string property.
  m = plain_message(1);
  m.props.content_type = "\xC3";
  EXPECT_FALSE(decode_message(key, encode(m)));
}

TEST(storage_records_rejects, entry_fields_out_of_range) {
  const auto key = keys::of_entry(1, 2);
  const auto value = encode(full_entry(1, 2));
  ASSERT_TRUE(decode_entry(key, value));
  EXPECT_FALSE(decode_entry(key, patched(value, 0, 0)));  // QoS 0 is never queued
  EXPECT_FALSE(decode_entry(key, patched(value, 0, 3)));
  // A subscription id count larger than the ids that follow.
  auto e = full_entry(1, 2);
  const auto encoded = encode(e);
  const auto count_at = 4 + 4 + e.shared_filter.size();
  EXPECT_FALSE(decode_entry(key, patched(encoded, count_at + 3, 4)));
}

TEST(storage_records_rejects, subscription_options_out_of_range) {
  const auto key = keys::of_subscription(1, "a");
  const auto value = encode(subscription_record{1, "a", {}, 3});
  ASSERT_TRUE(decode_subscription(key, value));
  EXPECT_FALSE(decode_subscription(key, patched(value, 0, 0x03)));  // QoS 3
  EXPECT_FALSE(decode_subscription(key, patched(value, 0, 0x30)));  // retain handling 3
  EXPECT_FALSE(decode_subscription(key, patched(value, 0, 0xF0)));
}

TEST(storage_records_rejects, session_fields_out_of_range) {
  const auto key = keys::of_session(1);
  auto s = plain_session(1);
  const auto value = encode(s);
  ASSERT_TRUE(decode_session(key, value));
  EXPECT_FALSE(decode_session(key, patched(value, 0, 2)));  // record version
  const auto version_at = 1 + 4 + s.client_id.size();
  ASSERT_EQ(static_cast<std::uint8_t>(value.at(version_at)), 5);
  EXPECT_FALSE(decode_session(key, patched(value, version_at, 2)));  // no MQTT 2
  EXPECT_FALSE(decode_session(key, patched(value, version_at, 6)));
  EXPECT_TRUE(decode_session(key, patched(value, version_at, 3)));  // MQTT 3.1

  s.will = codec::will_message{};
  s.will->topic = "w";
  const auto with_will = encode(s);
  const auto will_qos_at = with_will.size() - 3;  // qos, retain, empty property block
  ASSERT_TRUE(decode_session(key, with_will));
  EXPECT_FALSE(decode_session(key, patched(with_will, will_qos_at, 3)));
  // A property a will cannot carry.
  s.will->props.topic_alias = 4;
  EXPECT_FALSE(decode_session(key, encode(s)));
}

}  // namespace
}  // namespace tern::storage::test
