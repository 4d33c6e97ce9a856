// Every record decodes to exactly what was encoded, through its key and its value.

#include <gtest/gtest.h>

#include <limits>

#include "record_samples.hpp"
#include "storage/records.hpp"

namespace tern::storage::test {
namespace {

constexpr auto k_max_id = std::numeric_limits<std::uint64_t>::max();

message_record round_trip(const message_record& r) {
  auto decoded = decode_message(keys::of_message(r.id), encode(r));
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or(message_record{});
}

entry_record round_trip(const entry_record& r) {
  auto decoded = decode_entry(keys::of_entry(r.session_id, r.message_id), encode(r));
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or(entry_record{});
}

subscription_record round_trip(const subscription_record& r) {
  auto decoded = decode_subscription(keys::of_subscription(r.session_id, r.filter), encode(r));
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or(subscription_record{});
}

session_record round_trip(const session_record& r) {
  auto decoded = decode_session(keys::of_session(r.session_id), encode(r));
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or(session_record{});
}

TEST(storage_records_round_trip, message_with_every_property) {
  const auto m = full_message(12'345);
  const auto back = round_trip(m);
  EXPECT_EQ(back, m);
  EXPECT_EQ(back.props.user_properties, m.props.user_properties);  // order and duplicates kept
  EXPECT_EQ(back.props.correlation_data, m.props.correlation_data);
}

TEST(storage_records_round_trip, message_with_nothing_optional) {
  message_record m;
  m.id = 1;
  m.topic = "a";
  EXPECT_EQ(round_trip(m), m);  // QoS 0, empty payload, no properties, no expiry
}

TEST(storage_records_round_trip, message_of_every_qos_and_retain_flag) {
  for (const auto q :
       {codec::qos::at_most_once, codec::qos::at_least_once, codec::qos::exactly_once}) {
    for (const bool retain : {false, true}) {
      auto m = plain_message(9);
      m.qos_level = q;
      m.retain = retain;
      EXPECT_EQ(round_trip(m), m) << static_cast<int>(q) << " retain " << retain;
    }
  }
}

TEST(storage_records_round_trip, message_with_a_large_payload) {
  auto m = full_message(k_max_id);
  m.payload.resize(5u << 20);  // past what a 16-bit or a 3-byte length could describe
  for (std::size_t i = 0; i < m.payload.size(); ++i) {
    m.payload[i] = static_cast<std::uint8_t>(i * 131 + (i >> 13));
  }
  const auto encoded = encode(m);
  EXPECT_GT(encoded.size(), m.payload.size());
  EXPECT_EQ(round_trip(m), m);
}

TEST(storage_records_round_trip, message_ids_origins_and_expiry_at_their_limits) {
  for (const std::int64_t expires : {std::int64_t{0}, std::int64_t{1},
                                     std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}}) {
    auto m = plain_message(k_max_id);
    m.origin_session = k_max_id;
    m.expires_at_ms = expires;
    EXPECT_EQ(round_trip(m), m) << expires;
  }
  auto m = plain_message(0x0102'0304'0506'0708);
  EXPECT_EQ(round_trip(m).id, 0x0102'0304'0506'0708u);  // the id comes from the key
}

TEST(storage_records_round_trip, entry_with_subscription_ids_shared_filter_and_qos2_state) {
  const auto e = full_entry(3, 0x1'0000'0001);
  EXPECT_EQ(round_trip(e), e);
}

TEST(storage_records_round_trip, entry_carrying_its_message) {
  // A message queued for one session only travels in its entry; the id comes from the key.
  auto e = full_entry(3, 0x1'0000'0001);
  e.message = full_message(0x1'0000'0001);
  EXPECT_EQ(round_trip(e), e);
  auto plain = full_entry(4, 77);
  plain.message = plain_message(77);
  EXPECT_EQ(round_trip(plain), plain);
  // Truncated inside the carried message: rejected, never half-read.
  const auto bytes = encode(e);
  for (std::size_t cut = bytes.size() - 20; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_entry(keys::of_entry(3, 0x1'0000'0001), bytes.substr(0, cut)));
  }
}

TEST(storage_records_round_trip, entry_flags_in_every_combination) {
  for (const auto q : {codec::qos::at_least_once, codec::qos::exactly_once}) {
    for (const bool retain : {false, true}) {
      for (const bool pubrec : {false, true}) {
        for (const std::uint16_t packet_id :
             {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{0x8001}}) {
          entry_record e;
          e.session_id = k_max_id;
          e.message_id = k_max_id - 1;
          e.qos_level = q;
          e.retain = retain;
          e.pubrec_received = pubrec;
          e.packet_id = packet_id;
          EXPECT_EQ(round_trip(e), e) << static_cast<int>(q) << retain << pubrec << packet_id;
        }
      }
    }
  }
}

TEST(storage_records_round_trip, entry_with_many_subscription_ids) {
  auto e = full_entry(1, 2);
  e.shared_filter.clear();
  e.subscription_ids.clear();
  for (std::uint32_t id = 1; id <= 1000; ++id) e.subscription_ids.push_back(id * 7919);
  EXPECT_EQ(round_trip(e), e);
}

TEST(storage_records_round_trip, subscription_with_every_option_combination) {
  int checked = 0;
  for (const auto q :
       {codec::qos::at_most_once, codec::qos::at_least_once, codec::qos::exactly_once}) {
    for (const bool no_local : {false, true}) {
      for (const bool rap : {false, true}) {
        for (const auto rh : {codec::retain_handling::send_on_subscribe,
                              codec::retain_handling::send_if_new_subscription,
                              codec::retain_handling::do_not_send}) {
          for (const std::optional<std::uint32_t> id :
               {std::optional<std::uint32_t>{}, std::optional<std::uint32_t>{1},
                std::optional<std::uint32_t>{268'435'455}}) {
            subscription_record r;
            r.session_id = 5;
            r.filter = "a/+/b/#";
            r.options = {q, no_local, rap, rh};
            r.identifier = id;
            EXPECT_EQ(round_trip(r), r)
                << static_cast<int>(q) << no_local << rap << static_cast<int>(rh) << id.value_or(0);
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 3 * 2 * 2 * 3 * 3);
}

TEST(storage_records_round_trip, subscription_filters_come_from_the_key) {
  for (const char* filter : {"#", "+", "$share/g/a/#", "a//b", "\xE2\x82\xAC/+",
                             "a/very/long/filter/with/many/levels/and/more/levels/still"}) {
    subscription_record r;
    r.session_id = k_max_id;
    r.filter = filter;
    EXPECT_EQ(round_trip(r), r) << filter;
  }
}

TEST(storage_records_round_trip, session_without_a_will_for_every_protocol_version) {
  for (const auto v : {codec::protocol_version::v3_1, codec::protocol_version::v3_1_1,
                       codec::protocol_version::v5}) {
    auto s = plain_session(42);
    s.version = v;
    s.expiry_interval = std::numeric_limits<std::uint32_t>::max();
    s.expires_at_ms = 1'767'225'600'000;
    EXPECT_EQ(round_trip(s), s) << static_cast<int>(v);
    EXPECT_FALSE(round_trip(s).will.has_value());
  }
}

TEST(storage_records_round_trip, session_with_a_delayed_will_and_every_will_property) {
  const auto s = full_session(0x00FF'0000'0000'0001);
  const auto back = round_trip(s);
  EXPECT_EQ(back, s);
  ASSERT_TRUE(back.will.has_value());
  EXPECT_EQ(back.will->props.will_delay_interval, 30u);
  EXPECT_EQ(back.will_at_ms, s.will_at_ms);
  EXPECT_EQ(back.expires_at_ms, s.expires_at_ms);
}

TEST(storage_records_round_trip, session_with_a_bare_will_of_every_qos) {
  for (const auto q :
       {codec::qos::at_most_once, codec::qos::at_least_once, codec::qos::exactly_once}) {
    auto s = plain_session(7);
    s.version = codec::protocol_version::v3_1_1;
    s.will = codec::will_message{};
    s.will->topic = "w";
    s.will->qos_level = q;
    EXPECT_EQ(round_trip(s), s) << static_cast<int>(q);
  }
}

TEST(storage_records_round_trip, session_identity_anonymous_or_named) {
  for (const std::optional<std::string>& user :
       {std::optional<std::string>{}, std::optional<std::string>{"alice"},
        std::optional<std::string>{""}}) {
    auto s = full_session(9);
    s.identity_known = true;
    s.username = user;
    const auto back = round_trip(s);
    EXPECT_EQ(back, s);
    EXPECT_TRUE(back.identity_known);
    EXPECT_EQ(back.username, user);
  }
}

TEST(storage_records_round_trip, session_records_without_identity_still_decode) {
  // A record written before the identity field existed ends right after the will.
  auto s = full_session(10);
  const auto old_bytes = encode(s);
  const auto back = decode_session(keys::of_session(10), old_bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->identity_known);
  EXPECT_FALSE(back->username.has_value());
  auto with_identity = s;
  with_identity.identity_known = true;
  with_identity.username = "bob";
  const auto newer = encode(with_identity);
  EXPECT_EQ(newer.substr(0, old_bytes.size()), old_bytes);  // a trailing field, nothing moved
  auto bad = newer;
  bad[old_bytes.size()] = 7;  // neither anonymous (1) nor named (2)
  EXPECT_FALSE(decode_session(keys::of_session(10), bad).has_value());
}

TEST(storage_records_round_trip, inbound_lives_in_the_key_alone) {
  for (const std::uint64_t session : {std::uint64_t{1}, std::uint64_t{256}, k_max_id}) {
    for (const std::uint16_t packet : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{0x00FF},
                                       std::uint16_t{0xFF00}, std::uint16_t{0xFFFF}}) {
      const auto back = decode_inbound(keys::of_inbound(session, packet));
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(*back, (inbound_record{session, packet}));
    }
  }
}

TEST(storage_records_round_trip, retained_maps_a_topic_to_a_message_id_and_sequence) {
  for (const char* topic : {"a", "a/b/c", "$SYS/broker/uptime", "\xE2\x82\xAC", "a/"}) {
    for (const std::uint64_t id :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x0102'0304'0506'0708}, k_max_id}) {
      for (const std::uint64_t seq : {std::uint64_t{0}, std::uint64_t{0x0908'0706'0504'0302}}) {
        const auto back = decode_retained(keys::of_retained(topic), encode_retained(id, seq));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, (retained_record{topic, id, seq}));
      }
    }
  }
}

}  // namespace
}  // namespace tern::storage::test
