#include "net/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

#include "net/admission.hpp"
#include "net/client_origin.hpp"
#include "net/shard.hpp"

namespace tern::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

listener::listener(asio::io_context& control, const tcp::endpoint& endpoint,
                   std::vector<std::unique_ptr<shard>>& shards, admission& gate,
                   std::size_t max_connections, tls_profile_ptr tls,
                   websocket_settings_ptr websocket, proxy_options proxy)
    : acceptor_(control),
      backoff_(control),
      shards_(shards),
      gate_(gate),
      index_(gate.add_listener(max_connections, !proxy.enabled)),
      max_connections_(max_connections),
      tls_(std::move(tls)),
      websocket_(std::move(websocket)),
      proxy_(proxy) {
  try {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  } catch (...) {
    gate_.remove_listener(index_);  // no destructor runs for a listener never made
    throw;
  }
}

tcp::endpoint listener::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

std::string listener::describe() const {
  return describe_endpoint(local_endpoint());
}

const char* listener::protocol_name() const noexcept {
  if (websocket_) return tls_ ? "wss" : "ws";
  return tls_ ? "mqtts" : "mqtt";
}

void listener::set_proxy(proxy_options proxy) {
  proxy_ = proxy;
  gate_.update_listener(index_, max_connections_, !proxy.enabled);
}

void listener::set_max_connections(std::size_t max_connections) {
  max_connections_ = max_connections;
  gate_.update_listener(index_, max_connections_, !proxy_.enabled);
}

void listener::start() {
  accept_next();
}

void listener::stop() {
  error_code ec;
  acceptor_.close(ec);
  backoff_.cancel();
}

listener::~listener() {
  *alive_ = false;
  stop();
  gate_.remove_listener(index_);
}

void listener::accept_next() {
  if (!acceptor_.is_open()) return;
  shard& target = *shards_[next_shard_];
  next_shard_ = (next_shard_ + 1) % shards_.size();
  acceptor_.async_accept(
      target.context(), [this, &target, alive = alive_](error_code ec, tcp_socket socket) {
        // Completed just before the listener closed or was destroyed: its client goes too.
        if (!*alive || ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
          // Out of file descriptors or memory: pause instead of spinning on the error.
          spdlog::warn("accept on {} failed: {}; retrying in 100 ms", local_endpoint().port(),
                       ec.message());
          backoff_.expires_after(std::chrono::milliseconds(100));
          backoff_.async_wait([this, alive = alive_](error_code wait_ec) {
            if (!wait_ec && *alive) accept_next();
          });
          return;
        }
        if (!admit(target, socket)) return accept_next();
        asio::post(target.context(), [&target, s = std::move(socket), tls = tls_, ws = websocket_,
                                      proxy = proxy_]() mutable {
          if (proxy.enabled) {
            target.adopt_proxied(std::move(s), std::move(tls), std::move(ws),
                                 proxy.identity_from_header);
          } else {
            target.adopt(std::move(s), std::move(tls), std::move(ws));
          }
        });
        accept_next();
      });
}

bool listener::admit(shard& target, tcp_socket& socket) {
  error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return false;  // already gone; the socket closes as it goes out of scope
  const auto verdict = gate_.on_accept(index_, peer.address(), socket.native_handle(),
                                       std::chrono::steady_clock::now());
  if (verdict.what == admission::decision::admit) return true;
  const bool refuse = verdict.what == admission::decision::refuse;
  target.limits().record(verdict.why, [&] {
    return fmt::format("{} connection from {} on port {} ({} open)", refuse ? "refusing" : "closed",
                       peer.address().to_string(), local_endpoint().port(),
                       gate_.open_connections());
  });
  if (refuse) return true;  // answered with a refusing CONNACK by its connection
  socket.close(ec);
  return false;
}

}  // namespace tern::net
