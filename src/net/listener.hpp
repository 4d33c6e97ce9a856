#pragma once
// Accepts TCP connections on one endpoint and deals them round-robin to the shards (MQTT, MQTT over
// TLS, over WebSocket, over WebSocket and TLS). The accepted
// socket is created directly on the target shard's io_context, then handed over by post(). A TLS
// listener hands over its current credentials with each socket; replacing them (a certificate
// reload) affects only later connections. Admission control (connection limits, connection
// rate) decides first; see admission.hpp.
//
// Thread: runs on the control context (the main thread).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/tcp_socket.hpp"
#include "net/tls_context.hpp"
#include "net/websocket_settings.hpp"

namespace tern::net {

class admission;
class shard;

// A listener behind a load balancer that sends the PROXY protocol header first.
struct proxy_options {
  bool enabled = false;
  bool identity_from_header = false;  // the username is the CN the balancer verified
};

class listener {
 public:
  // Opens, binds and listens; throws boost::system::system_error when that fails.
  // `tls` null: no TLS. `websocket` set: MQTT over WebSocket (over TLS when `tls` is set).
  listener(boost::asio::io_context& control, const boost::asio::ip::tcp::endpoint& endpoint,
           std::vector<std::unique_ptr<shard>>& shards, admission& gate,
           std::size_t max_connections, tls_profile_ptr tls = nullptr,
           websocket_settings_ptr websocket = nullptr, proxy_options proxy = {});
  // Stops accepting and gives up the admission slot (kept by connections still open).
  ~listener();
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  void start();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // "127.0.0.1:1883", "[::1]:8883"
  std::string describe() const;
  const tls_profile_ptr& tls() const noexcept { return tls_; }
  // "mqtt", "mqtts", "ws" or "wss".
  const char* protocol_name() const noexcept;
  bool proxied() const noexcept { return proxy_.enabled; }
  // This listener's slot in the admission counts.
  std::size_t admission_index() const noexcept { return index_; }
  void set_tls(tls_profile_ptr profile) { tls_ = std::move(profile); }
  // A configuration reload changed the listener in place: later connections use the new
  // settings, accepted ones keep what they were accepted with.
  void set_websocket(websocket_settings_ptr websocket) { websocket_ = std::move(websocket); }
  void set_proxy(proxy_options proxy);
  void set_max_connections(std::size_t max_connections);

 private:
  void accept_next();
  // Admission control for a freshly accepted socket; false when it was closed.
  bool admit(shard& target, tcp_socket& socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::vector<std::unique_ptr<shard>>& shards_;
  std::size_t next_shard_ = 0;
  admission& gate_;
  std::size_t index_;  // this listener's slot in gate_
  std::size_t max_connections_;
  tls_profile_ptr tls_;
  websocket_settings_ptr websocket_;
  proxy_options proxy_;
  // Shared with pending handlers: a listener removed by a reload is destroyed at once, and a
  // completion already queued then must not touch it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tern::net
