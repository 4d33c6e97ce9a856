#pragma once
// A small HTTP/1.1 server (Boost.Beast) for /metrics and the admin API. It reads one request at
// a time per connection (keep-alive allowed), hands it to the handler, and writes the response
// the handler gives back, which may come later (after the shards have answered).
//
// Limits: request head 8 KiB, body 64 KiB (413 beyond), 30 s to send a request, at most 64
// connections at once (more are closed at accept).
//
// Thread: the control thread; the handler and every reply run there.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tern::admin {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;
using http_reply = std::function<void(http_response&&)>;
// `peer` is the client's address; `reply` must be called exactly once, on the control thread.
using http_handler =
    std::function<void(const http_request& request, const std::string& peer, http_reply reply)>;

class http_server {
 public:
  static constexpr std::size_t k_max_header = 8 * 1024;
  static constexpr std::size_t k_max_body = 64 * 1024;
  static constexpr std::size_t k_max_connections = 64;

  // Binds at once; throws boost::system::system_error when the address cannot be used.
  http_server(boost::asio::io_context& control, const boost::asio::ip::tcp::endpoint& endpoint,
              http_handler handler);
  ~http_server();
  void start();
  // Stops accepting and closes every open connection.
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  class connection;

 private:
  void accept();

  boost::asio::io_context& control_;
  boost::asio::ip::tcp::acceptor acceptor_;
  http_handler handler_;
  std::vector<std::weak_ptr<connection>> open_;
  bool stopped_ = false;
};

}  // namespace tern::admin
