#pragma once
// Bounds-checked reader over one packet body. The first failure latches: later reads return
// zero values and the caller checks error() once per field group. Internal to the codec.

#include <cstdint>
#include <span>
#include <string>

#include "codec/decode_error.hpp"
#include "codec/properties.hpp"
#include "codec/utf8.hpp"
#include "codec/varint.hpp"

namespace tern::codec::detail {

class byte_reader {
 public:
  explicit byte_reader(std::span<const std::uint8_t> data) noexcept : data_(data) {}

  std::size_t remaining() const noexcept { return failed() ? 0 : data_.size() - pos_; }
  bool at_end() const noexcept { return remaining() == 0; }
  bool failed() const noexcept { return error_ != decode_error::none; }
  decode_error error() const noexcept { return error_; }
  void fail(decode_error error) noexcept {
    if (!failed()) error_ = error;
  }

  std::uint8_t u8() noexcept {
    if (!ensure(1)) return 0;
    return data_[pos_++];
  }
  std::uint16_t u16() noexcept {
    if (!ensure(2)) return 0;
    const auto value = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return value;
  }
  std::uint32_t u32() noexcept {
    if (!ensure(4)) return 0;
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | data_[pos_++];
    return value;
  }
  std::uint32_t varint() noexcept {
    if (failed()) return 0;
    const auto result = decode_varint(data_.subspan(pos_));
    if (result.status == varint_status::need_more) {
      fail(decode_error::truncated);
      return 0;
    }
    if (result.status == varint_status::malformed) {
      fail(decode_error::malformed_varint);
      return 0;
    }
    pos_ += result.length;
    return result.value;
  }
  std::span<const std::uint8_t> bytes(std::size_t count) noexcept {
    if (!ensure(count)) return {};
    auto out = data_.subspan(pos_, count);
    pos_ += count;
    return out;
  }
  // Two-byte length prefixed UTF-8 string, validated.
  std::string utf8_string() {
    const auto raw = bytes(u16());
    std::string text(raw.begin(), raw.end());
    if (!failed() && !is_valid_mqtt_utf8(text)) fail(decode_error::invalid_utf8);
    return text;
  }
  // Two-byte length prefixed binary data.
  binary binary_data() {
    const auto raw = bytes(u16());
    return binary(raw.begin(), raw.end());
  }
  std::span<const std::uint8_t> rest() noexcept { return bytes(remaining()); }

 private:
  bool ensure(std::size_t count) noexcept {
    if (failed()) return false;
    if (data_.size() - pos_ < count) {
      fail(decode_error::truncated);
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  decode_error error_ = decode_error::none;
};

}  // namespace tern::codec::detail
