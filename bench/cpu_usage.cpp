#include "cpu_usage.hpp"

#include <sys/resource.h>

namespace tern::bench {

namespace {
double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}
}  // namespace

cpu_sample sample_cpu() noexcept {
  cpu_sample s;
  s.wall = std::chrono::steady_clock::now();
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    s.user_s = seconds(usage.ru_utime);
    s.sys_s = seconds(usage.ru_stime);
  }
  return s;
}

cpu_usage cpu_between(const cpu_sample& from, const cpu_sample& to) noexcept {
  return {to.user_s - from.user_s, to.sys_s - from.sys_s,
          std::chrono::duration<double>(to.wall - from.wall).count()};
}

}  // namespace tern::bench
