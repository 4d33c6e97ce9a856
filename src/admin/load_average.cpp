#include "admin/load_average.hpp"

#include <cmath>

namespace tern::admin {

void load_average::update(double per_minute, double elapsed_s) noexcept {
  if (!started_) {
    values_.fill(per_minute);
    started_ = true;
    return;
  }
  if (elapsed_s <= 0) return;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    const double keep = std::exp(-elapsed_s / k_windows_s[i]);
    values_[i] = per_minute + keep * (values_[i] - per_minute);
  }
}

}  // namespace tern::admin
