#pragma once
// Reads the PROXY protocol header a load balancer sends before the client's bytes, and nothing
// past it: the bytes are peeked first and only the header's are consumed, so the TLS handshake,
// WebSocket upgrade or MQTT CONNECT behind it finds the stream as the client sent it.
//
// A connection whose header is malformed, or that sends no complete header within the timeout,
// is closed with a log line naming the socket's address and why.
//
// Thread: the shard owning the socket.

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>

#include "net/proxy_protocol.hpp"
#include "net/tcp_socket.hpp"

namespace tern::net {

using proxy_header_handler = std::function<void(tcp_socket, proxy_header)>;
// Called instead when the connection ends before a valid header; closing is the caller's.
using proxy_failure_handler = std::function<void(tcp_socket&)>;

void read_proxy_header(tcp_socket socket, std::chrono::milliseconds timeout,
                       proxy_header_handler on_header, proxy_failure_handler on_failure);

}  // namespace tern::net
