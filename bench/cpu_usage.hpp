#pragma once
// The generator's own CPU time (getrusage of this process), to tell a saturated generator from a
// saturated broker.

#include <chrono>

namespace tern::bench {

struct cpu_sample {
  std::chrono::steady_clock::time_point wall;
  double user_s = 0;
  double sys_s = 0;
};

cpu_sample sample_cpu() noexcept;

struct cpu_usage {
  double user_s = 0;
  double sys_s = 0;
  double wall_s = 0;
  // (user + sys) / wall, as a percentage of one core.
  double percent() const noexcept { return wall_s > 0 ? 100.0 * (user_s + sys_s) / wall_s : 0.0; }
};

cpu_usage cpu_between(const cpu_sample& from, const cpu_sample& to) noexcept;

}  // namespace tern::bench
