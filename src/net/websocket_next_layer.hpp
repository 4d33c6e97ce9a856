#pragma once
// The layer under Beast's WebSocket stream: one of Tern's own streams (plain_stream, tls_stream)
// seen as an Asio AsyncReadStream / AsyncWriteStream, so that Beast does the HTTP upgrade and the
// WebSocket framing while the bytes still go through the readiness-based streams (and TLS keeps
// its lean OpenSSL-on-the-socket path).
//
// Two things make a WebSocket connection movable to another shard, as TCP and TLS ones are:
// - the Tern stream is held in an optional, so it can be taken out (detached to its descriptor
//   and OpenSSL session) and a new one, built on the target shard's io_context, put back in,
//   while Beast's stream object (with any frame bytes it has already buffered) stays the same;
// - Beast binds its internal timer and its shutdown registry to the executor it sees while
//   being constructed. That executor is a "home" context that lives as long as the process and
//   never runs (Tern does not use Beast's timeouts), so nothing of Beast stays tied to the shard
//   the connection came from. Afterwards get_executor() is the current socket's.
//
// Bytes read ahead of Beast (after the HTTP request, in the same read) are replayed first.
//
// Thread: its connection's shard.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <optional>
#include <vector>
#include "net/tcp_socket.hpp"

namespace tern::net {

// The context Beast's per-stream timer and registry are bound to (see above). Never run.
boost::asio::io_context& websocket_home_context();

template <typename Inner>
class websocket_next_layer {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit websocket_next_layer(Inner inner) : inner_(std::move(inner)) {}

  executor_type get_executor() {
    if (constructing_) return websocket_home_context().get_executor();
    return inner_->socket().get_executor();
  }
  // Called once Beast's stream is built around this layer.
  void constructed() noexcept { constructing_ = false; }

  Inner& inner() { return *inner_; }
  const Inner& inner() const { return *inner_; }
  bool has_inner() const noexcept { return inner_.has_value(); }
  // Takes the Tern stream out (to be detached) / puts the rebuilt one back.
  Inner release() {
    Inner out = std::move(*inner_);
    inner_.reset();
    return out;
  }
  void attach(Inner inner) { inner_.emplace(std::move(inner)); }
  void replay(const std::uint8_t* data, std::size_t size) { replay_.assign(data, data + size); }

  template <typename MutableBuffers, typename Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return boost::asio::async_compose<Handler, void(boost::system::error_code, std::size_t)>(
        read_op<MutableBuffers>{this, buffers}, handler, inner_->socket());
  }

  // The Tern streams write a whole gather list per call, so this completes with everything
  // written or an error.
  template <typename ConstBuffers, typename Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    out_.assign(boost::asio::buffer_sequence_begin(buffers),
                boost::asio::buffer_sequence_end(buffers));
    return boost::asio::async_initiate<Handler, void(boost::system::error_code, std::size_t)>(
        [this](auto h) {
          inner_->async_write(
              out_, [this, h = std::move(h)](boost::system::error_code ec, std::size_t n) mutable {
                out_.clear();
                boost::asio::dispatch(boost::asio::append(std::move(h), ec, n));
              });
        },
        handler);
  }

 private:
  template <typename MutableBuffers>
  struct read_op {
    websocket_next_layer* layer;
    MutableBuffers buffers;
    enum class phase { first, waited, deliver } at = phase::first;
    boost::system::error_code result_ec{};
    std::size_t result_size = 0;

    template <typename Self>
    void operator()(Self& self, boost::system::error_code ec = {}) {
      if (at == phase::deliver) return self.complete(result_ec, result_size);
      if (ec) return self.complete(ec, 0);
      boost::asio::mutable_buffer into;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers); ++it) {
        const boost::asio::mutable_buffer candidate = *it;
        if (candidate.size() != 0) {
          into = candidate;
          break;
        }
      }
      auto& replay = layer->replay_;
      if (into.size() == 0) {
        result_size = 0;
      } else if (!replay.empty()) {
        result_size = boost::asio::buffer_copy(into, boost::asio::buffer(replay));
        replay.erase(replay.begin(), replay.begin() + static_cast<std::ptrdiff_t>(result_size));
        if (replay.empty()) replay.shrink_to_fit();
      } else {
        result_size = layer->inner_->read_some(into, result_ec);
        if (result_ec == boost::asio::error::would_block ||
            result_ec == boost::asio::error::try_again) {
          result_ec = {};
          at = phase::waited;
          return layer->inner_->async_wait_readable(std::move(self));
        }
      }
      if (at == phase::waited) return self.complete(result_ec, result_size);
      // Completed within the initiating call: Asio requires the handler to run later.
      at = phase::deliver;
      boost::asio::post(layer->get_executor(), std::move(self));
    }
  };

  std::optional<Inner> inner_;
  std::vector<std::uint8_t> replay_;
  std::vector<boost::asio::const_buffer> out_;  // the gather list of the write in flight
  bool constructing_ = true;
};

// Beast's closing handshake (or a failed connection) ends by tearing the layer down. Only the TCP
// socket is shut down here: the descriptor stays open until the connection has released it
// (admission control counts descriptors) and the stream is destroyed.
template <typename Inner>
void teardown(boost::beast::role_type, websocket_next_layer<Inner>& layer,
              boost::system::error_code& ec) {
  ec = {};
  if (layer.has_inner()) {
    layer.inner().socket().shutdown(tcp_socket::shutdown_both, ec);
  }
}

// Beast closes the lowest layer when a stream fails; shut down only, for the same reason.
template <typename Inner>
void beast_close_socket(websocket_next_layer<Inner>& layer) {
  boost::system::error_code ec;
  teardown(boost::beast::role_type::server, layer, ec);
}

template <typename Inner, typename Handler>
void async_teardown(boost::beast::role_type role, websocket_next_layer<Inner>& layer,
                    Handler&& handler) {
  boost::system::error_code ec;
  teardown(role, layer, ec);
  boost::asio::post(layer.get_executor(), boost::asio::append(std::forward<Handler>(handler),
                                                              boost::system::error_code{}));
}

}  // namespace tern::net
