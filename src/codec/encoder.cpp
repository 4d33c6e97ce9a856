#include "codec/encoder.hpp"

#include <array>
#include <cstring>
#include <type_traits>

#include "codec/byte_writer.hpp"
#include "codec/property_codec.hpp"
#include "codec/varint.hpp"

namespace tern::codec {

namespace {

using detail::byte_writer;
using detail::write_properties;

constexpr std::size_t k_max_string = 65'535;

struct body_writer {
  byte_writer out;
  protocol_version version;
  bool fits = true;           // false once a string or binary field exceeds 65,535 bytes
  bool skip_payload = false;  // PUBLISH head only: the payload goes out as its own buffer

  bool v5() const noexcept { return version == protocol_version::v5; }

  void string(const std::string& s) {
    if (s.size() > k_max_string) fits = false;
    out.prefixed(s);
  }
  void data(const binary& b) {
    if (b.size() > k_max_string) fits = false;
    out.prefixed(b);
  }
  // Property values are length-prefixed too: refuse the packet when one does not fit.
  void write_props(const properties& p) {
    if (!detail::properties_fit(p)) fits = false;
    write_properties(out, p);
  }
  void props(const properties& p) {
    if (v5()) write_props(p);
  }

  std::uint8_t operator()(const connect& c) {
    string(c.version == protocol_version::v3_1 ? "MQIsdp" : "MQTT");
    out.u8(static_cast<std::uint8_t>(c.version));
    std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
    if (c.will) {
      flags |= 0x04;
      flags |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(c.will->qos_level) << 3);
      if (c.will->retain) flags |= 0x20;
    }
    if (c.password) flags |= 0x40;
    if (c.username) flags |= 0x80;
    out.u8(flags);
    out.u16(c.keep_alive);
    // CONNECT carries its own level; write properties for MQTT 5 whatever `version` says.
    const bool connect_v5 = c.version == protocol_version::v5;
    if (connect_v5) write_props(c.props);
    string(c.client_id);
    if (c.will) {
      if (connect_v5) write_props(c.will->props);
      string(c.will->topic);
      data(c.will->payload);
    }
    if (c.username) string(*c.username);
    if (c.password) data(*c.password);
    return 0x10;
  }

  std::uint8_t operator()(const connack& c) {
    // MQTT 3.1 has no Session Present flag: the byte is reserved there.
    out.u8(c.session_present && version != protocol_version::v3_1 ? 1 : 0);
    out.u8(v5() ? static_cast<std::uint8_t>(c.reason) : to_v3_connack_code(c.reason));
    props(c.props);
    return 0x20;
  }

  std::uint8_t operator()(const publish& p) {
    string(p.topic);
    if (p.qos_level != qos::at_most_once) out.u16(p.packet_id);
    props(p.props);
    if (!skip_payload) out.raw(p.payload);
    auto first = static_cast<std::uint8_t>(0x30 | (static_cast<std::uint8_t>(p.qos_level) << 1));
    if (p.dup) first |= 0x08;
    if (p.retain) first |= 0x01;
    return first;
  }

  void ack(const ack_fields& a) {
    out.u16(a.packet_id);
    if (!v5()) return;
    const bool has_props = !a.props.empty();
    // Omit what the receiver can infer [MQTT-3.4.2.1].
    if (a.reason == reason_code::success && !has_props) return;
    out.u8(static_cast<std::uint8_t>(a.reason));
    if (has_props) write_props(a.props);
  }
  std::uint8_t operator()(const puback& a) { return ack(a), 0x40; }
  std::uint8_t operator()(const pubrec& a) { return ack(a), 0x50; }
  std::uint8_t operator()(const pubrel& a) { return ack(a), 0x62; }
  std::uint8_t operator()(const pubcomp& a) { return ack(a), 0x70; }

  std::uint8_t operator()(const subscribe& s) {
    out.u16(s.packet_id);
    props(s.props);
    for (const auto& sub : s.subscriptions) {
      string(sub.filter);
      auto bits = static_cast<std::uint8_t>(sub.options.max_qos);
      if (v5()) {
        if (sub.options.no_local) bits |= 0x04;
        if (sub.options.retain_as_published) bits |= 0x08;
        bits |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(sub.options.retain) << 4);
      }
      out.u8(bits);
    }
    return 0x82;
  }

  std::uint8_t operator()(const suback& s) {
    out.u16(s.packet_id);
    props(s.props);
    for (auto r : s.reasons) {
      const auto code = static_cast<std::uint8_t>(r);
      out.u8(v5() || code <= 2 ? code : std::uint8_t{0x80});
    }
    return 0x90;
  }

  std::uint8_t operator()(const unsubscribe& u) {
    out.u16(u.packet_id);
    props(u.props);
    for (const auto& f : u.filters) string(f);
    return 0xA2;
  }

  std::uint8_t operator()(const unsuback& u) {
    out.u16(u.packet_id);
    if (v5()) {
      write_props(u.props);
      for (auto r : u.reasons) out.u8(static_cast<std::uint8_t>(r));
    }
    return 0xB0;
  }

  std::uint8_t operator()(const pingreq&) { return 0xC0; }
  std::uint8_t operator()(const pingresp&) { return 0xD0; }

  void reason_and_props(reason_code reason, const properties& p) {
    if (!v5()) return;
    const bool has_props = !p.empty();
    if (reason == reason_code::success && !has_props) return;
    out.u8(static_cast<std::uint8_t>(reason));
    if (has_props) write_props(p);
  }
  std::uint8_t operator()(const disconnect& d) { return reason_and_props(d.reason, d.props), 0xE0; }
  std::uint8_t operator()(const auth& a) {
    if (!v5()) fits = false;
    return reason_and_props(a.reason, a.props), 0xF0;
  }
};

}  // namespace

namespace {

// Writes the body of `p` after room for the longest fixed header, then slides it down next to
// the real header: one pass, no scratch buffer. `trailing` bytes (a payload the caller sends
// separately) count in the Remaining Length but are not written.
template <typename Packet>
std::size_t encode_with_header(const Packet& p, protocol_version version, std::size_t trailing,
                               bool head_only, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + 5);
  body_writer writer{byte_writer(out), version};
  writer.skip_payload = head_only;
  std::uint8_t first = 0;
  if constexpr (std::is_same_v<Packet, packet>) {
    first = std::visit(writer, p);
  } else {
    first = writer(p);
  }
  const std::size_t body_size = out.size() - start - 5;
  if (!writer.fits || body_size + trailing > k_max_remaining_length) {
    out.resize(start);
    return 0;
  }
  const auto remaining = static_cast<std::uint32_t>(body_size + trailing);
  std::array<std::uint8_t, 5> header{first};
  std::size_t header_size = 1;
  for (auto value = remaining;; ++header_size) {
    auto byte = static_cast<std::uint8_t>(value & 0x7Fu);
    value >>= 7;
    if (value != 0) byte |= 0x80u;
    header[header_size] = byte;
    if (value == 0) break;
  }
  ++header_size;
  std::memmove(out.data() + start + header_size, out.data() + start + 5, body_size);
  std::memcpy(out.data() + start, header.data(), header_size);
  out.resize(start + header_size + body_size);
  return header_size + body_size + trailing;
}

}  // namespace

std::size_t encode(const packet& p, protocol_version version, std::vector<std::uint8_t>& out) {
  return encode_with_header(p, version, 0, false, out);
}

std::size_t encode_publish_head(const publish& p, std::size_t payload_size,
                                protocol_version version, std::vector<std::uint8_t>& out) {
  return encode_with_header(p, version, payload_size, true, out);
}

}  // namespace tern::codec
