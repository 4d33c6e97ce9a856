#include "source_address.hpp"

#include <boost/asio/ip/address_v4.hpp>

namespace tern::bench {

std::optional<boost::asio::ip::address> source_address(std::uint32_t count, std::uint32_t run_tag,
                                                       std::uint32_t index) {
  if (count == 0) return std::nullopt;
  const std::uint32_t middle = run_tag & 0xffffu;
  const std::uint32_t last = 1 + index % count;
  return boost::asio::ip::address_v4((127u << 24) | (middle << 8) | last);
}

}  // namespace tern::bench
