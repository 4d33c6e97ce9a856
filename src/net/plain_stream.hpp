#pragma once
// MQTT over plain TCP: the stream type of basic_connection for "mqtt" listeners. Every call is a
// thin inline forward to the socket, so a plain connection runs exactly the code it would with
// the socket used directly.
//
// Thread: its connection's shard.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <string_view>
#include <vector>

#include "net/detached_transport.hpp"
#include "net/tcp_socket.hpp"

namespace tern::net {

class plain_stream {
 public:
  static constexpr std::string_view k_protocol = "mqtt";
  static constexpr bool k_handshake = false;  // nothing to negotiate before MQTT starts
  static constexpr std::string_view k_handshake_name = "none";
  // A read that returns less than asked for has emptied the socket, and waiting re-arms the
  // descriptor (EPOLL_CTL_MOD), which reports data that arrives meanwhile: no read needs to
  // confirm would_block. TLS and WebSocket streams keep decoded bytes of their own and must
  // read until would_block.
  static constexpr bool k_short_read_drains = true;

  explicit plain_stream(tcp_socket socket) : socket_(std::move(socket)) {}

  tcp_socket& socket() noexcept { return socket_; }
  const tcp_socket& socket() const noexcept { return socket_; }

  // Non-blocking: boost::asio::error::would_block when the socket is drained.
  std::size_t read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec) {
    return socket_.read_some(into, ec);
  }
  template <typename Handler>
  void async_wait_readable(Handler&& handler) {
    socket_.async_wait(tcp_socket::wait_read, std::forward<Handler>(handler));
  }
  // `buffers` must stay valid until the handler runs.
  template <typename Handler>
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, Handler&& handler) {
    boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
  }

  void close() noexcept {
    boost::system::error_code ec;
    socket_.shutdown(tcp_socket::shutdown_both, ec);
    socket_.close(ec);
  }

  detached_transport detach(boost::system::error_code& ec) {
    detached_transport out;
    out.protocol = socket_.local_endpoint(ec).protocol();
    if (!ec) out.handle = socket_.release(ec);
    return out;
  }

 private:
  tcp_socket socket_;
};

}  // namespace tern::net
