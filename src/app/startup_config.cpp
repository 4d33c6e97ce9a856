#include "app/startup_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <thread>

namespace tern::app {

config build_config(const cli_options& options) {
  config c;
  if (options.config_file) load_config_file(*options.config_file, c);
  if (c.listeners.empty()) c.listeners = default_listeners();
  if (options.port) {  // the plain MQTT port; TLS listeners keep theirs
    for (auto& l : c.listeners) {
      if (l.protocol == listener_protocol::mqtt) l.port = *options.port;
    }
  }
  if (options.data_dir) c.data_dir = *options.data_dir;
  if (options.verbosity == 1) c.log_level = "debug";
  if (options.verbosity >= 2) c.log_level = "trace";
  if (c.shards == 0) c.shards = std::max(1u, std::thread::hardware_concurrency());
  return c;
}

net::listen_endpoint endpoint_of(const listener_config& l) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(l.address, ec);
  if (ec) throw config_error(fmt::format("listener address '{}' is not an IP address", l.address));
  net::listen_endpoint e;
  e.endpoint = {address, l.port};
  e.optional = l.optional;
  e.max_connections = l.max_connections;
  // Secure default: anonymous clients only where nobody but this host can connect.
  e.allow_anonymous = l.allow_anonymous.value_or(address.is_loopback());
  if (uses_tls(l.protocol)) e.tls = l.tls;
  if (uses_websocket(l.protocol)) e.websocket = l.websocket;
  e.proxy_protocol = l.proxy_protocol;
  e.identity_from_header = l.identity_from_proxy;
  return e;
}

std::vector<net::listen_endpoint> endpoints_of(const config& c) {
  std::vector<net::listen_endpoint> out;
  for (const auto& l : c.listeners) out.push_back(endpoint_of(l));
  return out;
}

}  // namespace tern::app
