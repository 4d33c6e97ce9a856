#pragma once
// MQTT over WebSocket: the stream type of basic_connection for "ws" listeners (over plain_stream)
// and "wss" listeners (over tls_stream). Boost.Beast answers the HTTP upgrade and does the
// framing; the MQTT decoder sees the payload of binary messages as one byte stream, so packets
// may span messages and a message may carry several packets [MQTT-6.0.0-2].
//
// Handshake (within the connect timeout, like TLS): the TLS handshake for wss, then the upgrade
// request, read with a bounded buffer and checked by judge_upgrade (path, upgrade, subprotocol);
// a refused request gets its HTTP status and the connection closes.
//
// Reads keep the connection's readiness interface: async_wait_readable starts one Beast read
// into a small per-connection buffer (Beast's own frame buffer is about as large), and read_some
// then hands out what it received. A text message closes the connection with 1003
// [MQTT-6.0.0-1]; a message above the broker's maximum packet size closes it with 1009 (Beast).
// Writes send the connection's gather list as one binary message, unfragmented.
//
// Closing: a WebSocket that is open gets a close frame and up to two seconds to answer before
// the socket closes; the handshake runs after the connection itself is gone, holding only the
// Beast stream.
//
// Moving to another shard: see websocket_next_layer.hpp.
//
// Thread: its connection's shard.

#include <fmt/format.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/detached_transport.hpp"
#include "net/plain_stream.hpp"
#include "net/tls_stream.hpp"
#include "net/websocket_next_layer.hpp"
#include "net/websocket_settings.hpp"
#include "net/websocket_upgrade.hpp"

namespace tern::net {

enum class websocket_errc { text_frame = 1, upgrade_refused, request_too_large };
const boost::system::error_category& websocket_category() noexcept;
inline boost::system::error_code make_error_code(websocket_errc e) noexcept {
  return {static_cast<int>(e), websocket_category()};
}

// Bytes of one Beast read handed to the connection; as large as Beast's frame buffer, so a read
// of small messages needs no second pass.
inline constexpr std::size_t k_websocket_read_chunk = 1536;
// How long a closing WebSocket waits for the client's close frame.
inline constexpr auto k_websocket_close_wait = std::chrono::seconds(2);

template <typename Inner>
class websocket_stream {
 public:
  using layer_type = websocket_next_layer<Inner>;
  using beast_stream = boost::beast::websocket::stream<layer_type, false>;  // no deflate

  static constexpr std::string_view k_protocol = Inner::k_handshake ? "wss" : "ws";
  static constexpr bool k_handshake = true;
  static constexpr std::string_view k_handshake_name = "WebSocket";

  // A freshly accepted client: the upgrade (and, for wss, the TLS handshake) is still to come.
  websocket_stream(Inner inner, websocket_settings_ptr settings, std::size_t max_message)
      : ws_(std::make_shared<beast_stream>(std::move(inner))),
        settings_(std::move(settings)),
        max_message_(max_message) {
    ws_->next_layer().constructed();
  }
  // A client moved from another shard, upgraded already: `inner` is its rebuilt transport.
  websocket_stream(std::shared_ptr<beast_stream> moved, Inner inner) : ws_(std::move(moved)) {
    ws_->next_layer().attach(std::move(inner));
    upgraded_ = true;
  }

  tcp_socket& socket() noexcept { return layer().inner().socket(); }
  const tcp_socket& socket() const noexcept { return ws_->next_layer().inner().socket(); }

  bool handshake_done() const noexcept { return upgraded_; }

  template <typename Handler>
  void async_handshake(Handler handler) {
    if constexpr (Inner::k_handshake) {
      if (!layer().inner().handshake_done()) {
        return layer().inner().async_handshake([this, h = std::move(handler)](
                                                   boost::system::error_code ec) mutable {
          if (ec) {
            failure_ = "TLS: " + (layer().inner().failure().empty() ? ec.message()
                                                                    : layer().inner().failure());
            return h(ec);
          }
          read_upgrade(std::move(h));
        });
      }
    }
    read_upgrade(std::move(handler));
  }

  // Non-blocking: would_block once the last Beast read is handed out.
  std::size_t read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec) {
    if (inbox_pos_ < inbox_size_) {
      const std::size_t n = std::min(into.size(), inbox_size_ - inbox_pos_);
      std::memcpy(into.data(), inbox_.data() + inbox_pos_, n);
      inbox_pos_ += n;
      return n;
    }
    ec = read_error_ ? read_error_ : boost::asio::error::would_block;
    return 0;
  }

  template <typename Handler>
  void async_wait_readable(Handler handler) {
    if (inbox_pos_ < inbox_size_ || read_error_) {
      return boost::asio::post(socket().get_executor(), [h = std::move(handler)]() mutable {
        h(boost::system::error_code{});
      });
    }
    ws_->async_read_some(
        boost::asio::buffer(inbox_),
        [this, h = std::move(handler)](boost::system::error_code ec, std::size_t n) mutable {
          inbox_pos_ = 0;
          inbox_size_ = n;
          if (ec) {
            inbox_size_ = 0;
            // The client's close frame ends the connection as a TCP close would.
            read_error_ = ec == boost::beast::websocket::error::closed
                              ? boost::system::error_code(boost::asio::error::eof)
                              : ec;
          } else if (ws_->got_text()) {
            inbox_size_ = 0;
            read_error_ = make_error_code(websocket_errc::text_frame);
            close_code_ = boost::beast::websocket::close_code::unknown_data;
          }
          h(boost::system::error_code{});
        });
  }

  // One binary message per gather list; `buffers` stays valid until the handler runs.
  template <typename Handler>
  void async_write(const std::vector<boost::asio::const_buffer>& buffers, Handler handler) {
    ws_->async_write(buffers, std::move(handler));
  }

  void close() noexcept;
  detached_transport detach(boost::system::error_code& ec);

  std::optional<std::string> identity() const {
    if constexpr (Inner::k_handshake) return ws_->next_layer().inner().identity();
    return std::nullopt;
  }
  bool uses_identity() const noexcept {
    if constexpr (Inner::k_handshake) return ws_->next_layer().inner().uses_identity();
    return false;
  }
  const std::string& failure() const noexcept { return failure_; }
  std::string describe() const {
    std::string out = "subprotocol " + subprotocol_;
    if constexpr (Inner::k_handshake) out += ", " + ws_->next_layer().inner().describe();
    return out;
  }

 private:
  // State that lives only while the upgrade request is read and answered.
  struct upgrade_state {
    explicit upgrade_state(std::size_t limit) : buffer(limit) {}
    boost::beast::flat_buffer buffer;
    boost::beast::http::request_parser<boost::beast::http::string_body> parser;
    std::optional<boost::beast::http::response<boost::beast::http::string_body>> refusal;
  };

  layer_type& layer() noexcept { return ws_->next_layer(); }

  template <typename Handler>
  void read_upgrade(Handler handler) {
    upgrade_ = std::make_unique<upgrade_state>(settings_->max_request_size);
    upgrade_->parser.header_limit(static_cast<std::uint32_t>(settings_->max_request_size));
    upgrade_->parser.body_limit(0);  // an upgrade request has no body
    boost::beast::http::async_read(
        layer(), upgrade_->buffer, upgrade_->parser,
        [this, h = std::move(handler)](boost::system::error_code ec, std::size_t) mutable {
          on_upgrade_request(ec, std::move(h));
        });
  }

  template <typename Handler>
  void on_upgrade_request(boost::system::error_code ec, Handler handler) {
    namespace http = boost::beast::http;
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset) {
      failure_ = "closed before sending an upgrade request";
      return handler(boost::asio::error::eof);
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      failure_ = fmt::format("upgrade request larger than {} bytes", settings_->max_request_size);
      return refuse({http::status::request_header_fields_too_large, {}, failure_},
                    make_error_code(websocket_errc::request_too_large), std::move(handler));
    }
    if (ec == boost::asio::error::operation_aborted) return handler(ec);
    if (ec) {
      failure_ = "malformed upgrade request: " + ec.message();
      return refuse({http::status::bad_request, {}, failure_},
                    make_error_code(websocket_errc::upgrade_refused), std::move(handler));
    }
    const auto& request = upgrade_->parser.get();
    auto verdict = judge_upgrade(request, *settings_);
    if (!verdict.accepted()) {
      failure_ =
          fmt::format("answered {}: {}", static_cast<unsigned>(verdict.status), verdict.reason);
      return refuse(verdict, make_error_code(websocket_errc::upgrade_refused), std::move(handler));
    }
    subprotocol_ = verdict.subprotocol;
    // Bytes the client sent right after its request are WebSocket frames already.
    const auto rest = upgrade_->buffer.data();
    if (rest.size() != 0) {
      layer().replay(static_cast<const std::uint8_t*>(rest.data()), rest.size());
    }
    ws_->set_option(boost::beast::websocket::stream_base::decorator(
        [protocol = verdict.subprotocol](boost::beast::websocket::response_type& response) {
          response.set(http::field::server, "tern");
          response.set(http::field::sec_websocket_protocol, protocol);
        }));
    ws_->read_message_max(max_message_);
    ws_->auto_fragment(false);
    ws_->binary(true);
    ws_->async_accept(request,
                      [this, h = std::move(handler)](boost::system::error_code accept_ec) mutable {
                        upgrade_.reset();
                        if (accept_ec) {
                          failure_ = "WebSocket upgrade refused: " + accept_ec.message();
                          return h(accept_ec);
                        }
                        upgraded_ = true;
                        h(boost::system::error_code{});
                      });
  }

  // Answers the request with `verdict`'s status; the handshake then fails with `failed`.
  template <typename Handler>
  void refuse(const upgrade_verdict& verdict, boost::system::error_code failed, Handler handler) {
    upgrade_->refusal.emplace(refusal_response(verdict, 11));
    boost::beast::http::async_write(
        layer(), *upgrade_->refusal,
        [this, failed, h = std::move(handler)](boost::system::error_code, std::size_t) mutable {
          upgrade_.reset();
          h(failed);
        });
  }

  std::shared_ptr<beast_stream> ws_;  // shared with a closing handshake that outlives us
  websocket_settings_ptr settings_;
  std::size_t max_message_ = 0;
  std::unique_ptr<upgrade_state> upgrade_;
  std::array<std::uint8_t, k_websocket_read_chunk> inbox_{};
  std::size_t inbox_pos_ = 0;
  std::size_t inbox_size_ = 0;
  boost::system::error_code read_error_;
  std::string failure_;
  std::string subprotocol_;
  boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::normal;
  bool upgraded_ = false;
  bool closing_ = false;
};

// A WebSocket on its way to another shard: Beast's stream, with its Tern stream taken out (that
// travels as a descriptor and, for wss, an OpenSSL session in detached_transport).
struct detached_websocket {
  std::variant<std::shared_ptr<websocket_stream<plain_stream>::beast_stream>,
               std::shared_ptr<websocket_stream<tls_stream>::beast_stream>>
      stream;
};

template <typename Inner>
void websocket_stream<Inner>::close() noexcept {
  if (!layer().has_inner()) return;  // detached
  if (closing_ || !upgraded_ || !ws_->is_open()) {
    if (socket().is_open()) layer().inner().close();
    return;
  }
  closing_ = true;
  try {
    struct closing {
      std::shared_ptr<beast_stream> ws;
      boost::asio::steady_timer guard;
    };
    auto c =
        std::make_shared<closing>(closing{ws_, boost::asio::steady_timer(socket().get_executor())});
    c->guard.expires_after(k_websocket_close_wait);
    c->guard.async_wait([c](boost::system::error_code ec) {
      auto& layer = c->ws->next_layer();
      if (!ec && layer.has_inner() && layer.inner().socket().is_open()) layer.inner().close();
    });
    ws_->async_close(close_code_, [c](boost::system::error_code) { c->guard.cancel(); });
  } catch (...) {
    layer().inner().close();
  }
}

template <typename Inner>
detached_transport websocket_stream<Inner>::detach(boost::system::error_code& ec) {
  if (inbox_pos_ < inbox_size_ || read_error_ || !upgraded_) {
    ec = boost::asio::error::in_progress;  // bytes not handed out yet: cannot move
    return {};
  }
  Inner inner = layer().release();
  detached_transport out = inner.detach(ec);
  if (ec) {
    layer().attach(std::move(inner));
    return out;
  }
  out.websocket = std::make_shared<detached_websocket>(detached_websocket{ws_});
  return out;
}

}  // namespace tern::net
