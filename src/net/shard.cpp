#include "net/shard.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "net/connection.hpp"

namespace tern::net {

namespace {
constexpr std::size_t k_scratch_size = 64 * 1024;
constexpr auto k_stop_grace = std::chrono::seconds(3);
}  // namespace

shard::shard(std::size_t index, const protocol::session_settings& settings)
    : index_(index),
      settings_(settings),
      work_(boost::asio::make_work_guard(context_)),
      stop_deadline_(context_),
      scratch_(k_scratch_size) {}

shard::~shard() {
  join();
}

void shard::start() {
  thread_ = std::thread([this] {
    try {
      context_.run();
    } catch (const std::exception& e) {
      spdlog::critical("shard {}: event loop failed: {}", index_, e.what());
      std::terminate();
    }
  });
}

void shard::stop() {
  boost::asio::post(context_, [this] { stop_on_thread(); });
}

void shard::stop_on_thread() {
  if (stopping_) return;
  stopping_ = true;
  work_.reset();
  // Copy: shut_down may forget connections while we iterate.
  std::vector<std::shared_ptr<connection>> open;
  open.reserve(connections_.size());
  for (auto& [ptr, c] : connections_) open.push_back(c);
  for (auto& c : open) c->shut_down();
  if (!connections_.empty()) {
    stop_deadline_.expires_after(k_stop_grace);
    stop_deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) context_.stop();
    });
  }
}

void shard::join() {
  if (thread_.joinable()) thread_.join();
}

void shard::adopt(boost::asio::ip::tcp::socket socket) {
  if (stopping_) return;  // the socket closes as it goes out of scope
  auto c = std::make_shared<connection>(*this, std::move(socket));
  connections_.emplace(c.get(), c);
  c->start();
}

void shard::forget(connection* c) {
  connections_.erase(c);
  if (stopping_ && connections_.empty()) stop_deadline_.cancel();
}

}  // namespace tern::net
