#pragma once
// Process resources that size Tern's defaults: the file descriptor limit (one per connection)
// and the physical memory.

#include <cstddef>
#include <string>

namespace tern::app {

struct file_limit {
  std::size_t soft = 0;  // in force now
  std::size_t hard = 0;
  std::string error;  // set when raising failed; `soft` is then the old value
};

// Raises the soft RLIMIT_NOFILE to the hard limit: every connection holds a descriptor, and
// the distribution default (often 1024) would cap the broker long before memory does.
file_limit raise_file_limit();

// Physical memory in bytes, 0 when unknown.
std::size_t physical_memory();

// Descriptors kept for everything that is not a client: listeners, the store's files, logs.
inline constexpr std::size_t k_reserved_descriptors = 256;

// The broker-wide connection limit when none is configured: what the descriptors allow.
std::size_t default_max_connections(std::size_t descriptors);

}  // namespace tern::app
