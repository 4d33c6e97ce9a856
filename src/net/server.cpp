#include "net/server.hpp"

#include <spdlog/spdlog.h>

namespace tern::net {

server::server(boost::asio::io_context& control, std::size_t shard_count,
               const protocol::session_settings& settings)
    : control_(control) {
  shards_.reserve(shard_count);
  for (std::size_t i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<shard>(i, settings));
  }
}

server::~server() {
  stop();
  join();
}

void server::start(const std::vector<listen_endpoint>& endpoints) {
  for (const auto& e : endpoints) {
    try {
      listeners_.push_back(std::make_unique<listener>(control_, e.endpoint, shards_));
    } catch (const boost::system::system_error& error) {
      if (!e.optional) throw;
      spdlog::warn("not listening on {}: {}", e.endpoint.address().to_string(), error.what());
    }
  }
  if (listeners_.empty()) throw std::runtime_error("no listener could be opened");
  for (auto& s : shards_) s->start();
  for (auto& l : listeners_) {
    l->start();
    const auto ep = l->local_endpoint();
    spdlog::info("listening on {}{}{}:{} (mqtt)", ep.address().is_v6() ? "[" : "",
                 ep.address().to_string(), ep.address().is_v6() ? "]" : "", ep.port());
  }
}

void server::stop() {
  for (auto& l : listeners_) l->stop();
  for (auto& s : shards_) s->stop();
}

void server::join() {
  for (auto& s : shards_) s->join();
}

std::vector<boost::asio::ip::tcp::endpoint> server::local_endpoints() const {
  std::vector<boost::asio::ip::tcp::endpoint> out;
  for (const auto& l : listeners_) out.push_back(l->local_endpoint());
  return out;
}

}  // namespace tern::net
