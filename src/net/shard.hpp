#pragma once
// A shard: one thread running one io_context, owning every connection accepted onto it.
// Nothing in a shard is touched by another thread except through post() onto its context.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "protocol/settings.hpp"

namespace tern::net {

class connection;

class shard {
 public:
  shard(std::size_t index, const protocol::session_settings& settings);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  void start();
  // Asks every connection to close and lets the thread end once they are gone (or after a
  // grace period). Callable from any thread.
  void stop();
  void join();

  boost::asio::io_context& context() noexcept { return context_; }
  std::size_t index() const noexcept { return index_; }
  const protocol::session_settings& settings() const noexcept { return settings_; }

  // Shard thread only.
  void adopt(boost::asio::ip::tcp::socket socket);
  void forget(connection* c);
  // A large buffer reused by every read on this shard.
  std::span<std::uint8_t> scratch() noexcept { return scratch_; }

 private:
  void stop_on_thread();

  std::size_t index_;
  protocol::session_settings settings_;
  boost::asio::io_context context_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer stop_deadline_;
  std::thread thread_;
  std::unordered_map<connection*, std::shared_ptr<connection>> connections_;
  std::vector<std::uint8_t> scratch_;
  bool stopping_ = false;
};

}  // namespace tern::net
