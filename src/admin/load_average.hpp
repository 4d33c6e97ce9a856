#pragma once
// Exponentially decayed averages of a rate over 1, 5 and 15 minutes, as Unix load averages and
// Mosquitto's $SYS/broker/load/... topics report them. Each update() brings in the rate seen
// since the previous one; a sample weighs exp(-elapsed / window) less with each later update,
// so uneven intervals are handled and the average needs no history.
//
// Thread: one owner (the control thread).

#include <array>
#include <cstddef>

namespace tern::admin {

class load_average {
 public:
  static constexpr std::array<double, 3> k_windows_s{60.0, 300.0, 900.0};

  // `per_minute`: the rate over the last `elapsed_s` seconds, in events per minute. The first
  // update sets every average to that rate.
  void update(double per_minute, double elapsed_s) noexcept;
  // Average over k_windows_s[i].
  double value(std::size_t i) const noexcept { return values_[i]; }
  double one_minute() const noexcept { return values_[0]; }
  double five_minutes() const noexcept { return values_[1]; }
  double fifteen_minutes() const noexcept { return values_[2]; }

 private:
  std::array<double, 3> values_{};
  bool started_ = false;
};

}  // namespace tern::admin
