#pragma once
// The 16-byte stamp at the start of every payload: send (or scheduled) time on the steady clock in
// nanoseconds, then the publisher's sequence number. Both little-endian.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tern::bench {

inline constexpr std::size_t k_stamp_size = 16;

struct payload_stamp {
  std::uint64_t sent_ns = 0;
  std::uint64_t seq = 0;
};

namespace detail {
inline void put_u64(std::uint8_t* out, std::uint64_t v) noexcept {
  for (std::size_t i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t get_u64(const std::uint8_t* in) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= std::uint64_t{in[i]} << (8 * i);
  return v;
}
}  // namespace detail

// `payload` must hold at least k_stamp_size bytes.
inline void write_stamp(std::span<std::uint8_t> payload, payload_stamp stamp) noexcept {
  detail::put_u64(payload.data(), stamp.sent_ns);
  detail::put_u64(payload.data() + 8, stamp.seq);
}

inline std::optional<payload_stamp> read_stamp(std::span<const std::uint8_t> payload) noexcept {
  if (payload.size() < k_stamp_size) return std::nullopt;
  return payload_stamp{detail::get_u64(payload.data()), detail::get_u64(payload.data() + 8)};
}

}  // namespace tern::bench
