#include "protocol/client_id.hpp"

#include <cstdint>
#include <random>

namespace tern::protocol {

std::string make_assigned_client_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string id = "auto-";
  for (int word = 0; word < 2; ++word) {
    std::uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(k_hex[bits & 0xFu]);
  }
  return id;
}

}  // namespace tern::protocol
