#include "app/resource_limits.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tern::app {

file_limit raise_file_limit() {
  file_limit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.soft = static_cast<std::size_t>(limit.rlim_cur);
  out.hard = static_cast<std::size_t>(limit.rlim_max);
  if (limit.rlim_cur == limit.rlim_max) return out;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.soft = out.hard;
  return out;
}

std::size_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size);
}

std::size_t default_max_connections(std::size_t descriptors) {
  constexpr std::size_t k_minimum = 16;
  return descriptors > k_reserved_descriptors + k_minimum ? descriptors - k_reserved_descriptors
                                                          : k_minimum;
}

}  // namespace tern::app
