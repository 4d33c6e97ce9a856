#pragma once
// Runs `read` on every shard's thread and hands the results, in shard order, to `done` on the
// control thread once the last shard has answered. No shard waits for another.
//
// Thread: call from the control thread.

#include <boost/asio/post.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "net/server.hpp"

namespace tern::admin {

template <typename Read, typename Done>
void on_every_shard(net::server& server, Read read, Done done) {
  using result = decltype(read(server.shard_at(0)));
  struct gathering {
    gathering(std::size_t shards, Read r, Done d)
        : results(shards), missing(shards), read_shard(std::move(r)), finish(std::move(d)) {}
    std::mutex mutex;
    std::vector<result> results;
    std::size_t missing;
    Read read_shard;
    Done finish;
  };
  auto g = std::make_shared<gathering>(server.shard_count(), std::move(read), std::move(done));
  auto& control = server.control();
  for (std::size_t i = 0; i < server.shard_count(); ++i) {
    auto& s = server.shard_at(i);
    boost::asio::post(s.context(), [g, i, &s, &control] {
      auto r = g->read_shard(s);
      std::lock_guard lock(g->mutex);
      g->results[i] = std::move(r);
      if (--g->missing == 0) {
        boost::asio::post(control, [g] { g->finish(std::move(g->results)); });
      }
    });
  }
}

// Runs `act` on shard `index`'s thread, then `done(result)` on the control thread.
template <typename Act, typename Done>
void on_shard(net::server& server, std::size_t index, Act act, Done done) {
  auto& s = server.shard_at(index);
  auto& control = server.control();
  boost::asio::post(
      s.context(), [&s, &control, act = std::move(act), done = std::move(done)]() mutable {
        auto r = act(s);
        boost::asio::post(
            control, [r = std::move(r), done = std::move(done)]() mutable { done(std::move(r)); });
      });
}

}  // namespace tern::admin
