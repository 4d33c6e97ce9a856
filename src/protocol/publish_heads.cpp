#include "protocol/publish_heads.hpp"

#include <array>

#include "codec/encoder.hpp"
#include "codec/varint.hpp"

namespace tern::protocol {

namespace {

struct cached_head {
  message_ptr msg;  // held so that the address cannot be reused by another message
  std::vector<std::uint8_t> head;
  std::size_t total = 0;
  std::size_t packet_id_offset = 0;
};

// Index: MQTT 5 or not, QoS, RETAIN.
constexpr std::size_t k_layouts = 2 * 3 * 2;

std::size_t layout_of(codec::protocol_version version, codec::qos qos_level, bool retain) {
  const std::size_t family = version == codec::protocol_version::v5 ? 1 : 0;
  return (family * 3 + static_cast<std::size_t>(qos_level)) * 2 + (retain ? 1 : 0);
}

// The fixed header is 1 byte plus the Remaining Length, which depends on the total size.
std::size_t fixed_header_size(std::size_t total) {
  for (std::size_t h = 2; h <= 5; ++h) {
    if (total >= h && 1 + codec::varint_size(static_cast<std::uint32_t>(total - h)) == h) return h;
  }
  return 2;
}

void fill(cached_head& entry, const message_ptr& msg, codec::protocol_version version,
          codec::qos qos_level, bool retain) {
  codec::publish p;
  p.topic = msg->topic;
  p.qos_level = qos_level;
  p.retain = retain;
  p.packet_id = qos_level == codec::qos::at_most_once ? 0 : 1;
  if (version == codec::protocol_version::v5) p.props = msg->properties();
  entry.msg = msg;
  entry.head.clear();
  entry.total = codec::encode_publish_head(p, msg->payload.size(), version, entry.head);
  entry.packet_id_offset = fixed_header_size(entry.total) + 2 + msg->topic.size();
}

}  // namespace

std::size_t append_publish_head(const message_ptr& msg, codec::protocol_version version,
                                codec::qos qos_level, bool retain, bool dup,
                                std::uint16_t packet_id, std::vector<std::uint8_t>& out) {
  thread_local std::array<cached_head, k_layouts> cache;
  auto& entry = cache[layout_of(version, qos_level, retain)];
  if (entry.msg != msg) fill(entry, msg, version, qos_level, retain);
  if (entry.total == 0) return 0;
  const std::size_t start = out.size();
  out.insert(out.end(), entry.head.begin(), entry.head.end());
  if (dup) out[start] |= 0x08;
  if (qos_level != codec::qos::at_most_once) {
    out[start + entry.packet_id_offset] = static_cast<std::uint8_t>(packet_id >> 8);
    out[start + entry.packet_id_offset + 1] = static_cast<std::uint8_t>(packet_id);
  }
  return entry.total;
}

}  // namespace tern::protocol
