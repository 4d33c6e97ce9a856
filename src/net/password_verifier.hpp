#pragma once
// Runs password checks (PBKDF2, argon2: up to hundreds of milliseconds each) on a small pool of
// worker threads, so a login never stalls the shard whose event loop serves every other client
// on it. The number of checks waiting or running is bounded: beyond it a CONNECT is refused
// with "server busy" rather than queued for longer than its client waits.
//
// Thread: submit() from any shard thread; `done` runs on a worker thread and must post back to
// its shard. Destroyed (workers joined) before the shards whose contexts `done` posts to.

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>

#include "auth/access_control.hpp"

namespace tern::net {

class password_verifier {
 public:
  password_verifier(std::size_t threads, std::size_t max_pending);
  ~password_verifier();
  password_verifier(const password_verifier&) = delete;
  password_verifier& operator=(const password_verifier&) = delete;

  // False, and `done` never called, when max_pending checks are already waiting or running.
  bool submit(auth::password_check check, std::function<void(auth::login_result)> done);
  // Finishes the running checks and drops the waiting ones. Main thread, after the shards end.
  void stop();
  std::size_t pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

 private:
  boost::asio::thread_pool pool_;
  std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace tern::net
