#include "net/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::net {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes of(std::string_view s) {
  return bytes(s.begin(), s.end());
}

proxy_parse_result parse(const bytes& b) {
  return parse_proxy_header(b);
}

const bytes k_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

void put16(bytes& b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

// A v2 PROXY header over TCP/IPv4 from 192.0.2.7:40000, with `tlvs` appended.
bytes v2_inet(const bytes& tlvs = {}, std::uint8_t command = 0x21) {
  bytes b = k_signature;
  b.push_back(command);
  b.push_back(0x11);  // INET, STREAM
  put16(b, 12 + tlvs.size());
  const bytes addresses{192, 0, 2, 7, 10, 0, 0, 1};
  b.insert(b.end(), addresses.begin(), addresses.end());
  put16(b, 40000);
  put16(b, 1883);
  b.insert(b.end(), tlvs.begin(), tlvs.end());
  return b;
}

bytes ssl_tlv(std::uint8_t client, std::uint32_t verify, std::string_view cn) {
  bytes value{client, static_cast<std::uint8_t>(verify >> 24),
              static_cast<std::uint8_t>(verify >> 16), static_cast<std::uint8_t>(verify >> 8),
              static_cast<std::uint8_t>(verify)};
  value.push_back(0x21);  // PP2_SUBTYPE_SSL_VERSION
  put16(value, 7);
  for (char c : std::string_view("TLSv1.3")) value.push_back(static_cast<std::uint8_t>(c));
  value.push_back(0x22);  // PP2_SUBTYPE_SSL_CN
  put16(value, cn.size());
  for (char c : cn) value.push_back(static_cast<std::uint8_t>(c));
  bytes tlv{0x20};
  put16(tlv, value.size());
  tlv.insert(tlv.end(), value.begin(), value.end());
  return tlv;
}

TEST(proxy_protocol_v1, tcp4_gives_the_client_address_and_the_header_length) {
  const auto header = of("PROXY TCP4 192.0.2.1 198.51.100.1 56324 1883\r\n");
  auto with_mqtt = header;
  with_mqtt.push_back(0x10);  // CONNECT follows
  const auto r = parse(with_mqtt);
  ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
  EXPECT_EQ(r.header.length, header.size());
  ASSERT_TRUE(r.header.source);
  EXPECT_EQ(r.header.source->address().to_string(), "192.0.2.1");
  EXPECT_EQ(r.header.source->port(), 56324);
}

TEST(proxy_protocol_v1, tcp6_and_unknown) {
  auto r = parse(of("PROXY TCP6 2001:db8::1 2001:db8::2 4000 8883\r\n"));
  ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
  EXPECT_EQ(r.header.source->address().to_string(), "2001:db8::1");
  r = parse(of("PROXY UNKNOWN\r\n"));
  ASSERT_EQ(r.status, proxy_parse_status::complete);
  EXPECT_FALSE(r.header.source);
  EXPECT_EQ(r.header.length, 15u);
}

TEST(proxy_protocol_v1, waits_for_the_whole_line) {
  const auto full = of("PROXY TCP4 192.0.2.1 198.51.100.1 56324 1883\r\n");
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(parse(bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n))).status,
              proxy_parse_status::need_more)
        << n;
  }
}

TEST(proxy_protocol_v1, refuses_malformed_lines) {
  for (const char* line : {
           "PROXY TCP4 192.0.2.1 198.51.100.1 56324\r\n",         // a field missing
           "PROXY TCP4 192.0.2.1 198.51.100.1 56324 1883 x\r\n",  // one too many
           "PROXY TCP4 2001:db8::1 198.51.100.1 56324 1883\r\n",  // family mismatch
           "PROXY TCP4 192.0.2.1 198.51.100.1 65536 1883\r\n",    // port out of range
           "PROXY TCP4 192.0.2.1 198.51.100.1 01 1883\r\n",       // leading zero
           "PROXY UDP4 192.0.2.1 198.51.100.1 1 1883\r\n",        // not TCP
           "PROXY TCP4 192.0.2.300 198.51.100.1 1 1883\r\n",      // not an address
       }) {
    EXPECT_EQ(parse(of(line)).status, proxy_parse_status::invalid) << line;
  }
  EXPECT_EQ(parse(bytes(200, 'A')).status, proxy_parse_status::invalid);  // no header at all
  auto endless = of("PROXY TCP4 ");
  endless.resize(120, '1');
  EXPECT_EQ(parse(endless).status, proxy_parse_status::invalid);  // no CR LF within 107 bytes
}

TEST(proxy_protocol_v1, an_mqtt_connect_is_not_a_header) {
  const bytes connect{0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C};
  const auto r = parse(connect);
  EXPECT_EQ(r.status, proxy_parse_status::invalid);
  EXPECT_NE(r.error.find("no PROXY protocol header"), std::string::npos);
}

TEST(proxy_protocol_v2, inet_source_address) {
  auto header = v2_inet();
  const auto r = parse(header);
  ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
  EXPECT_EQ(r.header.length, 28u);
  EXPECT_EQ(r.header.source->address().to_string(), "192.0.2.7");
  EXPECT_EQ(r.header.source->port(), 40000);
  EXPECT_FALSE(r.header.verified_common_name);
  for (std::size_t n = 0; n < header.size(); ++n) {
    EXPECT_EQ(parse(bytes(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(n))).status,
              proxy_parse_status::need_more)
        << n;
  }
}

TEST(proxy_protocol_v2, inet6_source_address) {
  bytes b = k_signature;
  b.push_back(0x21);
  b.push_back(0x21);  // INET6, STREAM
  put16(b, 36);
  bytes src(16, 0);
  src[0] = 0x20;
  src[1] = 0x01;
  src[2] = 0x0d;
  src[3] = 0xb8;
  src[15] = 0x09;
  b.insert(b.end(), src.begin(), src.end());
  b.insert(b.end(), 16, 0);
  put16(b, 5000);
  put16(b, 1883);
  const auto r = parse(b);
  ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
  EXPECT_EQ(r.header.source->address().to_string(), "2001:db8::9");
  EXPECT_EQ(r.header.source->port(), 5000);
}

TEST(proxy_protocol_v2, local_command_keeps_the_socket_address) {
  const auto r = parse(v2_inet({}, 0x20));
  ASSERT_EQ(r.status, proxy_parse_status::complete);
  EXPECT_FALSE(r.header.source);
}

TEST(proxy_protocol_v2, common_name_only_from_a_verified_client_certificate) {
  auto r = parse(v2_inet(ssl_tlv(0x07, 0, "sensor-17")));
  ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
  EXPECT_EQ(r.header.verified_common_name, "sensor-17");
  r = parse(v2_inet(ssl_tlv(0x07, 1, "sensor-17")));  // verification failed upstream
  ASSERT_EQ(r.status, proxy_parse_status::complete);
  EXPECT_FALSE(r.header.verified_common_name);
  r = parse(v2_inet(ssl_tlv(0x01, 0, "sensor-17")));  // TLS without a client certificate
  EXPECT_FALSE(r.header.verified_common_name);
}

TEST(proxy_protocol_v2, refuses_what_it_cannot_trust) {
  auto bad_version = v2_inet();
  bad_version[12] = 0x31;
  EXPECT_EQ(parse(bad_version).status, proxy_parse_status::invalid);
  auto udp = v2_inet();
  udp[13] = 0x12;
  EXPECT_EQ(parse(udp).status, proxy_parse_status::invalid);
  auto truncated_tlv = v2_inet({0x20, 0x00, 0x10, 0x01});
  EXPECT_EQ(parse(truncated_tlv).status, proxy_parse_status::invalid);
  bytes huge = k_signature;
  huge.push_back(0x21);
  huge.push_back(0x11);
  put16(huge, 60000);
  EXPECT_EQ(parse(huge).status, proxy_parse_status::invalid);  // not buffered first
  auto short_addresses = k_signature;
  short_addresses.push_back(0x21);
  short_addresses.push_back(0x11);
  put16(short_addresses, 4);
  short_addresses.insert(short_addresses.end(), 4, 0);
  EXPECT_EQ(parse(short_addresses).status, proxy_parse_status::invalid);
}

}  // namespace
}  // namespace tern::net
