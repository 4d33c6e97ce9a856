#pragma once
// An instant that may be absent, in the size of the instant itself: std::optional<time_point>
// takes 16 bytes for 8 of data, and session state holds several of them. The steady clock's
// minimum, which no clock reading ever returns, stands for "none".

#include <cassert>
#include <optional>

#include "protocol/message.hpp"

namespace tern::protocol {

class optional_instant {
 public:
  constexpr optional_instant() noexcept = default;
  constexpr optional_instant(std::nullopt_t) noexcept {}           // NOLINT: as std::optional
  constexpr optional_instant(time_point at) noexcept : at_(at) {}  // NOLINT: as std::optional
  optional_instant& operator=(time_point at) noexcept {
    at_ = at;
    return *this;
  }

  constexpr bool has_value() const noexcept { return at_ != k_none; }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr time_point operator*() const noexcept {
    assert(has_value());
    return at_;
  }
  void reset() noexcept { at_ = k_none; }
  std::optional<time_point> as_optional() const noexcept {
    return has_value() ? std::optional<time_point>{at_} : std::nullopt;
  }

 private:
  static constexpr time_point k_none = time_point::min();
  time_point at_ = k_none;
};

}  // namespace tern::protocol
