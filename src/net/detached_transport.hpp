#pragma once
// A connection's transport on its way from one shard to another (the client identifier lives
// elsewhere): the socket's descriptor, for TLS the OpenSSL session riding on it, and for a
// WebSocket Beast's stream state. None is bound to an event loop, so the target shard rebuilds
// the stream around them and carries on where the old one stopped, buffered records included.

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>

#include "net/tcp_socket.hpp"
#include "net/tls_context.hpp"

namespace tern::net {

struct ssl_free_deleter {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
using ssl_handle = std::unique_ptr<SSL, ssl_free_deleter>;

struct detached_tls {
  ssl_handle ssl;
  tls_profile_ptr profile;  // the credentials generation the client was accepted with
};

struct detached_websocket;  // websocket_stream.hpp

struct detached_transport {
  tcp_socket::native_handle_type handle = -1;
  boost::asio::ip::tcp protocol = boost::asio::ip::tcp::v4();
  std::optional<detached_tls> tls;                // empty: plain TCP
  std::shared_ptr<detached_websocket> websocket;  // set: a WebSocket over that transport
};

}  // namespace tern::net
