#pragma once
// Who a connection's client is, as far as the transport can tell: its address, from the socket
// or from the PROXY protocol header a load balancer sent, and the username a TLS-terminating
// balancer vouched for. Travels with the connection when it moves to another shard.

#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tern::net {

struct client_origin {
  // Empty: not known yet; the connection asks its socket.
  std::string address;  // "10.0.0.7", "::1": the login throttle and the admin API key on it
  std::string peer;     // "10.0.0.7:50122", "[::1]:4000": for the log
  // The username from the client certificate CN the balancer verified (PROXY v2 PP2_TYPE_SSL).
  std::optional<std::string> identity;
  // The listener takes the username from the header (use_identity_as_username on a PROXY
  // listener): a client without one is refused.
  bool identity_required = false;
};

// "10.0.0.7:50122" or "[::1]:4000".
std::string describe_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);
// The address in a peer that describe_endpoint wrote: "10.0.0.7" for "10.0.0.7:50122", "::1"
// for "[::1]:4000"; a text without a port ("unknown") as it is.
std::string peer_address(std::string_view peer);
// The origin of a client at `endpoint`: its address and that address described for the log.
client_origin origin_at(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace tern::net
