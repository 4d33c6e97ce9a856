#include "broker_memory.hpp"

#include <fmt/format.h>

#include <fstream>
#include <string>

namespace tern::bench {

std::optional<std::uint64_t> resident_bytes(int pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      std::uint64_t kib = 0;
      if (status >> kib) return kib * 1024;  // the kernel reports "VmRSS: <n> kB"
      return std::nullopt;
    }
    status.ignore(1 << 16, '\n');
  }
  return std::nullopt;
}

}  // namespace tern::bench
