#include "net/client_origin.hpp"

#include <fmt/format.h>

namespace tern::net {

std::string describe_endpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

std::string peer_address(std::string_view peer) {
  if (peer.starts_with('[')) {
    const auto close = peer.find(']');
    if (close != std::string_view::npos) return std::string(peer.substr(1, close - 1));
  }
  const auto colon = peer.rfind(':');
  return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

client_origin origin_at(const boost::asio::ip::tcp::endpoint& endpoint) {
  client_origin origin;
  origin.address = endpoint.address().to_string();
  origin.peer = describe_endpoint(endpoint);
  return origin;
}

}  // namespace tern::net
