#pragma once
// The broker's resident memory and CPU time, read from /proc/<pid>, for memory and CPU per
// connection.

#include <cstdint>
#include <optional>

namespace tern::bench {

// VmRSS of the process in bytes; empty if it cannot be read (no such process, not Linux).
std::optional<std::uint64_t> resident_bytes(int pid);

// User plus system CPU seconds the process has used (clock-tick resolution); empty if unknown.
std::optional<double> cpu_seconds(int pid);

}  // namespace tern::bench
