#include "net/client_origin.hpp"

#include <fmt/format.h>

namespace tern::net {

std::string describe_endpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

client_origin origin_at(const boost::asio::ip::tcp::endpoint& endpoint) {
  client_origin origin;
  origin.address = endpoint.address().to_string();
  origin.peer = describe_endpoint(endpoint);
  return origin;
}

}  // namespace tern::net
