#pragma once
// Appends MQTT wire types to a byte vector. Internal to the codec.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "codec/varint.hpp"

namespace tern::codec::detail {

class byte_writer {
 public:
  explicit byte_writer(std::vector<std::uint8_t>& out) noexcept : out_(out) {}

  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 8));
    out_.push_back(static_cast<std::uint8_t>(value));
  }
  void u32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out_.push_back(static_cast<std::uint8_t>(value >> shift));
  }
  void varint(std::uint32_t value) { encode_varint(value, out_); }
  void raw(std::span<const std::uint8_t> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  // Two-byte length prefix; callers guarantee size <= 65535.
  void prefixed(std::span<const std::uint8_t> bytes) {
    u16(static_cast<std::uint16_t>(bytes.size()));
    raw(bytes);
  }
  void prefixed(std::string_view text) {
    prefixed(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }

 private:
  std::vector<std::uint8_t>& out_;
};

}  // namespace tern::codec::detail
