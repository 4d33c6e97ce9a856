#pragma once
// Variable Byte Integer ([MQTT-1.5.5]): 7 bits per byte, at most four bytes, minimal encoding.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tern::codec {

inline constexpr std::uint32_t k_max_varint = 268'435'455;

enum class varint_status : std::uint8_t { ok, need_more, malformed };

struct varint_result {
  varint_status status;
  std::uint32_t value;
  std::size_t length;  // bytes consumed when ok
};

// Decodes a variable byte integer from the front of `in`. More than four bytes, or a value that
// was not encoded in the minimum number of bytes ([MQTT-1.5.5-1]), is malformed.
varint_result decode_varint(std::span<const std::uint8_t> in) noexcept;

// Number of bytes needed to encode `value` (1..4); value must be <= k_max_varint.
constexpr std::size_t varint_size(std::uint32_t value) noexcept {
  return value < 128u ? 1 : value < 16'384u ? 2 : value < 2'097'152u ? 3 : 4;
}

// Appends the encoding of `value` (<= k_max_varint) to `out`.
void encode_varint(std::uint32_t value, std::vector<std::uint8_t>& out);

}  // namespace tern::codec
