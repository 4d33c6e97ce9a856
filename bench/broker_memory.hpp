#pragma once
// The broker's resident memory, read from /proc/<pid>/status, for memory per connection.

#include <cstdint>
#include <optional>

namespace tern::bench {

// VmRSS of the process in bytes; empty if it cannot be read (no such process, not Linux).
std::optional<std::uint64_t> resident_bytes(int pid);

}  // namespace tern::bench
