#include "net/proxy_protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

namespace tern::net {

namespace {

namespace ip = boost::asio::ip;

constexpr std::array<std::uint8_t, 12> k_v2_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view k_v1_prefix = "PROXY ";
constexpr std::size_t k_v1_max = 107;  // including CR LF
constexpr std::size_t k_v2_fixed = 16;

// v2 fields (family byte: address family in the high nibble, transport in the low one).
constexpr std::uint8_t k_family_inet = 0x1;
constexpr std::uint8_t k_family_inet6 = 0x2;
constexpr std::uint8_t k_transport_stream = 0x1;
constexpr std::uint8_t k_command_local = 0x0;
constexpr std::uint8_t k_command_proxy = 0x1;
constexpr std::uint8_t k_tlv_ssl = 0x20;
constexpr std::uint8_t k_tlv_ssl_cn = 0x22;
constexpr std::uint8_t k_ssl_client_cert_conn = 0x02;  // a certificate came on this connection

proxy_parse_result invalid(std::string why) {
  proxy_parse_result r;
  r.status = proxy_parse_status::invalid;
  r.error = std::move(why);
  return r;
}

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 1883\r\n"
proxy_parse_result parse_v1(std::span<const std::uint8_t> data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()),
                              std::min(data.size(), k_v1_max));
  const auto end = text.find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= k_v1_max) return invalid("v1 header without CR LF in 107 bytes");
    return {};
  }
  std::array<std::string_view, 6> fields{};
  std::size_t count = 0;
  std::string_view rest = text.substr(k_v1_prefix.size(), end - k_v1_prefix.size());
  while (!rest.empty() && count < fields.size()) {
    const auto space = rest.find(' ');
    fields[count++] = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }
  proxy_parse_result r;
  r.status = proxy_parse_status::complete;
  r.header.length = end + 2;
  if (count >= 1 && fields[0] == "UNKNOWN") return r;  // the balancer's own connection
  if (count != 5 || !rest.empty() || (fields[0] != "TCP4" && fields[0] != "TCP6")) {
    return invalid(fmt::format("malformed v1 header '{}'", text.substr(0, end)));
  }
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string(fields[1]), ec);
  const auto port = parse_port(fields[3]);
  boost::system::error_code dst_ec;
  (void)ip::make_address(std::string(fields[2]), dst_ec);
  if (ec || dst_ec || !port || !parse_port(fields[4]) || address.is_v4() != (fields[0] == "TCP4")) {
    return invalid(fmt::format("malformed v1 header '{}'", text.substr(0, end)));
  }
  r.header.source = ip::tcp::endpoint(address, *port);
  return r;
}

// The PP2_TYPE_SSL TLV: client flags (1 byte), verify result (4 bytes, 0 = verified), sub-TLVs.
void read_ssl_tlv(std::span<const std::uint8_t> value, proxy_header& header) {
  if (value.size() < 5) return;
  const bool certificate = (value[0] & k_ssl_client_cert_conn) != 0;
  const bool verified = be32(value.data() + 1) == 0;
  auto sub = value.subspan(5);
  while (sub.size() >= 3) {
    const auto type = sub[0];
    const std::size_t length = be16(sub.data() + 1);
    if (sub.size() < 3 + length) return;
    if (type == k_tlv_ssl_cn && certificate && verified && length > 0) {
      header.verified_common_name.emplace(reinterpret_cast<const char*>(sub.data() + 3), length);
    }
    sub = sub.subspan(3 + length);
  }
}

proxy_parse_result parse_v2(std::span<const std::uint8_t> data) {
  if (data.size() < k_v2_fixed) return {};
  const std::uint8_t version = data[12] >> 4;
  const std::uint8_t command = data[12] & 0x0F;
  const std::uint8_t family = data[13] >> 4;
  const std::uint8_t transport = data[13] & 0x0F;
  const std::size_t length = be16(data.data() + 14);
  if (version != 2) return invalid(fmt::format("v2 header with version {}", version));
  if (command != k_command_local && command != k_command_proxy) {
    return invalid(fmt::format("v2 header with unknown command {}", command));
  }
  if (k_v2_fixed + length > k_max_proxy_header) {
    return invalid(
        fmt::format("v2 header of {} bytes (at most {})", k_v2_fixed + length, k_max_proxy_header));
  }
  if (data.size() < k_v2_fixed + length) return {};
  proxy_parse_result r;
  r.status = proxy_parse_status::complete;
  r.header.length = k_v2_fixed + length;
  if (command == k_command_local) return r;  // health check: the socket's addresses stand
  const auto body = data.subspan(k_v2_fixed, length);
  std::size_t addresses = 0;
  if (family == k_family_inet && transport == k_transport_stream) {
    addresses = 12;
    if (body.size() < addresses) return invalid("v2 TCP/IPv4 header too short");
    ip::address_v4::bytes_type bytes{};
    std::copy_n(body.data(), bytes.size(), bytes.begin());
    r.header.source = ip::tcp::endpoint(ip::address_v4(bytes), be16(body.data() + 8));
  } else if (family == k_family_inet6 && transport == k_transport_stream) {
    addresses = 36;
    if (body.size() < addresses) return invalid("v2 TCP/IPv6 header too short");
    ip::address_v6::bytes_type bytes{};
    std::copy_n(body.data(), bytes.size(), bytes.begin());
    r.header.source = ip::tcp::endpoint(ip::address_v6(bytes), be16(body.data() + 32));
  } else {
    return invalid(
        fmt::format("v2 header for family {} transport {}: MQTT needs TCP", family, transport));
  }
  auto tlvs = body.subspan(addresses);
  while (!tlvs.empty()) {
    if (tlvs.size() < 3) return invalid("v2 header with a truncated TLV");
    const auto type = tlvs[0];
    const std::size_t tlv_length = be16(tlvs.data() + 1);
    if (tlvs.size() < 3 + tlv_length) return invalid("v2 header with a truncated TLV");
    if (type == k_tlv_ssl) read_ssl_tlv(tlvs.subspan(3, tlv_length), r.header);
    tlvs = tlvs.subspan(3 + tlv_length);
  }
  return r;
}

}  // namespace

proxy_parse_result parse_proxy_header(std::span<const std::uint8_t> data) {
  const auto prefix = std::min(data.size(), k_v2_signature.size());
  if (std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(prefix),
                 k_v2_signature.begin())) {
    return prefix < k_v2_signature.size() ? proxy_parse_result{} : parse_v2(data);
  }
  const auto v1 = std::min(data.size(), k_v1_prefix.size());
  if (std::equal(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(v1),
                 reinterpret_cast<const std::uint8_t*>(k_v1_prefix.data()))) {
    return v1 < k_v1_prefix.size() ? proxy_parse_result{} : parse_v1(data);
  }
  return invalid("no PROXY protocol header where the listener requires one");
}

}  // namespace tern::net
