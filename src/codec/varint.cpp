#include "codec/varint.hpp"

namespace tern::codec {

varint_result decode_varint(std::span<const std::uint8_t> in) noexcept {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= in.size()) return {varint_status::need_more, 0, 0};
    const std::uint8_t byte = in[i];
    value |= static_cast<std::uint32_t>(byte & 0x7Fu) << (7 * i);
    if ((byte & 0x80u) == 0) {
      const std::size_t length = i + 1;
      // A trailing zero group means a shorter encoding existed.
      if (length > 1 && byte == 0) return {varint_status::malformed, 0, 0};
      return {varint_status::ok, value, length};
    }
  }
  return {varint_status::malformed, 0, 0};
}

void encode_varint(std::uint32_t value, std::vector<std::uint8_t>& out) {
  do {
    auto byte = static_cast<std::uint8_t>(value & 0x7Fu);
    value >>= 7;
    if (value != 0) byte |= 0x80u;
    out.push_back(byte);
  } while (value != 0);
}

}  // namespace tern::codec
