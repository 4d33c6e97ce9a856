#pragma once
// Incremental, I/O-free MQTT decoding. The caller hands over whatever bytes it has; decode()
// reports need-more, one packet (and how many bytes it used), or a precise error. It never throws
// and never reads out of bounds, whatever the input. A packet larger than the configured maximum
// is refused as soon as its fixed header is readable, so nobody buffers it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "codec/decode_error.hpp"
#include "codec/packets.hpp"
#include "codec/types.hpp"

namespace tern::codec {

struct decode_options {
  // The connection's protocol level once CONNECT was accepted. Until then packets other than
  // CONNECT are decoded with the MQTT 3.1.1 rules.
  std::optional<protocol_version> version;
  std::uint32_t max_packet_size = k_max_packet_size;  // whole packet, fixed header included
};

enum class decode_status : std::uint8_t { need_more, complete, error };

struct decode_result {
  decode_status status = decode_status::need_more;
  std::size_t consumed = 0;  // bytes of the input the packet occupied (status == complete)
  packet value;              // valid when status == complete
  decode_error error = decode_error::none;
  // The protocol level a CONNECT announced, also when the rest of that CONNECT was bad, so the
  // caller can answer in the client's own version.
  std::optional<protocol_version> version;
  std::optional<packet_type> type;  // the packet type, once the first byte is known
};

decode_result decode(std::span<const std::uint8_t> in, const decode_options& options);

}  // namespace tern::codec
