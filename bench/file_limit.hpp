#pragma once
// Every connection is a file descriptor: thousands of clients need more than the usual soft
// limit of 1024 open files.

#include <cstdint>

namespace tern::bench {

// Raises this process's soft RLIMIT_NOFILE to its hard limit; returns the limit now in force.
std::uint64_t raise_open_file_limit() noexcept;

}  // namespace tern::bench
