#pragma once
// Loopback source addresses for --source-addresses: every address in 127.0.0.0/8 is local, and
// each has its own ephemeral ports towards the broker.

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>

namespace tern::bench {

// The address client `index` connects from: 127.<run>.<run>.<1 + index % count>, with the two
// middle bytes taken from `run_tag` so that a new run avoids the last one's TIME_WAIT ports.
// Empty when count is 0 (the kernel chooses).
std::optional<boost::asio::ip::address> source_address(std::uint32_t count, std::uint32_t run_tag,
                                                       std::uint32_t index);

}  // namespace tern::bench
