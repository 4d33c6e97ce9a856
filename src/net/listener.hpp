#pragma once
// Accepts TCP connections on one endpoint and deals them round-robin to the shards. The accepted
// socket is created directly on the target shard's io_context, then handed over by post().
//
// Thread: runs on the control context (the main thread).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

namespace tern::net {

class shard;

class listener {
 public:
  // Opens, binds and listens; throws boost::system::system_error when that fails.
  listener(boost::asio::io_context& control, const boost::asio::ip::tcp::endpoint& endpoint,
           std::vector<std::unique_ptr<shard>>& shards);

  void start();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  void accept_next();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::vector<std::unique_ptr<shard>>& shards_;
  std::size_t next_shard_ = 0;
};

}  // namespace tern::net
