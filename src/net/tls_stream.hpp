#pragma once
// MQTT over TLS: the stream type of basic_connection for "mqtts" listeners.
//
// OpenSSL reads and writes the non-blocking socket itself (a socket BIO), and the stream keeps
// the readiness model of plain connections: wait until the socket is ready, then call OpenSSL
// until it wants more. Two things differ from plain TCP. OpenSSL may hold input already taken
// from the socket (read-ahead, or a record larger than the caller's buffer), so before waiting
// for readability the stream asks OpenSSL whether input is pending and, if so, completes at once.
// And an operation may need the other direction (a read that must send, a write that must
// receive), so the stream remembers which readiness to wait for. With SSL_MODE_RELEASE_BUFFERS
// OpenSSL frees its buffers when they are empty: an idle TLS connection holds only the session.
//
// The OpenSSL session is a heap object bound to a descriptor number, not to an event loop, so a
// connection that must move to another shard detaches both and the target rebuilds the stream.
//
// Thread: its connection's shard.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/detached_transport.hpp"
#include "net/tcp_socket.hpp"
#include "net/tls_context.hpp"

namespace tern::net {

class tls_stream {
 public:
  static constexpr std::string_view k_protocol = "mqtts";
  static constexpr bool k_handshake = true;
  static constexpr std::string_view k_handshake_name = "TLS";

  // A freshly accepted socket: the handshake is still to come.
  tls_stream(tcp_socket socket, tls_profile_ptr profile);
  // A connection moved from another shard, handshake done.
  tls_stream(tcp_socket socket, detached_tls state);

  tcp_socket& socket() noexcept { return socket_; }
  const tcp_socket& socket() const noexcept { return socket_; }

  bool handshake_done() const noexcept;
  // Completes (through the executor) with an empty error once the handshake is done; on failure
  // failure() says why in OpenSSL's words.
  template <typename Handler>
  void async_handshake(Handler handler) {
    boost::system::error_code ec;
    const step next = handshake_step(ec);
    if (next == step::want_read || next == step::want_write) {
      return socket_.async_wait(wait_for(next), [this, h = std::move(handler)](
                                                    boost::system::error_code wait_ec) mutable {
        if (wait_ec) return h(wait_ec);
        async_handshake(std::move(h));
      });
    }
    boost::asio::post(socket_.get_executor(), [h = std::move(handler), ec]() mutable { h(ec); });
  }

  // Non-blocking: boost::asio::error::would_block when OpenSSL needs the socket to be ready.
  std::size_t read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec);
  template <typename Handler>
  void async_wait_readable(Handler handler) {
    if (has_pending_input()) {
      return boost::asio::post(socket_.get_executor(), [h = std::move(handler)]() mutable {
        h(boost::system::error_code{});
      });
    }
    socket_.async_wait(read_wants_write_ ? tcp_socket::wait_write : tcp_socket::wait_read,
                       std::move(handler));
  }

  // Encrypts the buffers as one run of records (copied once into an output buffer that is
  // released afterwards) and completes with (error, bytes) through the executor.
  template <typename Handler>
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, Handler handler) {
    stage_output(buffers);
    continue_write(std::move(handler));
  }

  // Sends close_notify when the session is healthy (best effort, never waits), then closes.
  void close() noexcept;
  detached_transport detach(boost::system::error_code& ec);

  // The certificate-derived username, when the listener uses one.
  std::optional<std::string> identity() const;
  bool uses_identity() const noexcept { return profile_->identity != identity_source::none; }
  // Why the handshake or the last operation failed: OpenSSL's reasons and the certificate
  // verification result.
  const std::string& failure() const noexcept { return failure_; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log.
  std::string describe() const;

 private:
  enum class step { done, want_read, want_write, failed };

  static tcp_socket::wait_type wait_for(step s) noexcept {
    return s == step::want_write ? tcp_socket::wait_write : tcp_socket::wait_read;
  }
  step handshake_step(boost::system::error_code& ec);
  step write_step(boost::system::error_code& ec);
  // Classifies a failed OpenSSL call; sets `ec` and failure_ for real errors.
  step after_failure(int result, boost::system::error_code& ec);
  bool has_pending_input() const noexcept;
  void stage_output(const std::vector<boost::asio::const_buffer>& buffers);

  template <typename Handler>
  void continue_write(Handler handler) {
    boost::system::error_code ec;
    const step next = write_step(ec);
    if (next == step::want_read || next == step::want_write) {
      return socket_.async_wait(wait_for(next), [this, h = std::move(handler)](
                                                    boost::system::error_code wait_ec) mutable {
        if (wait_ec) return h(wait_ec, std::size_t{0});
        continue_write(std::move(h));
      });
    }
    const std::size_t written = output_.size();
    std::vector<std::uint8_t>().swap(output_);  // idle connections hold no output buffer
    boost::asio::post(socket_.get_executor(),
                      [h = std::move(handler), ec, written]() mutable { h(ec, written); });
  }

  tcp_socket socket_;
  tls_profile_ptr profile_;  // keeps this connection's context generation alive
  ssl_handle ssl_;
  std::vector<std::uint8_t> output_;  // plaintext of the write in progress
  std::size_t output_sent_ = 0;
  std::string failure_;
  bool read_wants_write_ = false;
  bool fatal_ = false;  // after a fatal error OpenSSL forbids SSL_shutdown
};

}  // namespace tern::net
