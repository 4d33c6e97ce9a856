#include "codec/utf8.hpp"

#include <cstdint>

namespace tern::codec {

bool is_valid_mqtt_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    const std::uint8_t b0 = *p;
    if (b0 < 0x80) {
      if (b0 == 0) return false;  // [MQTT-1.5.4-2]
      ++p;
      continue;
    }
    std::size_t length;
    std::uint32_t code;
    std::uint32_t min;
    if ((b0 & 0xE0) == 0xC0) {
      length = 2, code = b0 & 0x1Fu, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      length = 3, code = b0 & 0x0Fu, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      length = 4, code = b0 & 0x07u, min = 0x10000;
    } else {
      return false;  // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    for (std::size_t i = 1; i < length; ++i) {
      const std::uint8_t b = p[i];
      if ((b & 0xC0) != 0x80) return false;
      code = (code << 6) | (b & 0x3Fu);
    }
    if (code < min) return false;                        // overlong
    if (code >= 0xD800 && code <= 0xDFFF) return false;  // surrogate [MQTT-1.5.4-1]
    if (code > 0x10FFFF) return false;
    p += length;
  }
  return true;
}

}  // namespace tern::codec
