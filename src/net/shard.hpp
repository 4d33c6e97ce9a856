#pragma once
// A shard: one thread running one io_context, owning every connection accepted onto it and the
// broker core for the client identifiers it hosts. Nothing in a shard is touched by another
// thread except through post() onto its context.

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/shard_core.hpp"
#include "net/client_origin.hpp"
#include "net/connection.hpp"
#include "net/deadline_queue.hpp"
#include "net/detached_transport.hpp"
#include "net/limit_counters.hpp"
#include "net/pending_write.hpp"
#include "net/tcp_socket.hpp"
#include "net/tls_context.hpp"
#include "net/websocket_settings.hpp"
#include "protocol/settings.hpp"

namespace tern::net {

class admission;
class password_verifier;
class server;

class shard {
 public:
  shard(std::size_t index, core::broker_shared& shared, server& owner);
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
  const protocol::session_settings& settings() const noexcept { return shared_.settings; }
  bool allows_anonymous(const boost::asio::ip::tcp::endpoint& local) const;

  // Limits that bit on this shard (and on the listeners for connections dealt to it).
  limit_counters& limits() noexcept { return limits_; }
  admission& gate() noexcept;
  // Runs password checks off this thread (shared by every shard).
  password_verifier& verifier() noexcept;

  // Shard thread only.
  core::shard_core& core() noexcept { return core_; }
  // A client accepted onto this shard: plain TCP, TLS with the listener's current credentials
  // when `tls` is set, WebSocket (over TLS when `tls` is set) when `websocket` is set.
  void adopt(tcp_socket socket, tls_profile_ptr tls = nullptr,
             websocket_settings_ptr websocket = nullptr, client_origin origin = {});
  // The same behind a load balancer: the PROXY protocol header comes first and names the
  // client (and, with `identity_from_header`, its username).
  void adopt_proxied(tcp_socket socket, tls_profile_ptr tls, websocket_settings_ptr websocket,
                     bool identity_from_header);
  // A client moved here from another shard, with the bytes already read from it.
  void adopt_moved(tcp_socket socket, std::optional<detached_tls> tls,
                   std::shared_ptr<detached_websocket> websocket, std::vector<std::uint8_t> pending,
                   client_origin origin);
  void forget(connection* c);
  // Flushes `c` once the current batch of work is done (one post for many connections).
  void schedule_flush(connection_ptr c);
  // `c` has output that waits for a store commit: it is flushed when the commit is durable.
  void hold_until_durable(connection_ptr c);
  // The store committed this shard's journal up to `ticket`. Any thread: the completions of
  // one commit become a single wake-up of the shard.
  void notify_durable(std::uint64_t ticket);
  // Moves a connection's transport to the shard hosting its client identifier.
  void migrate(std::size_t target, detached_transport transport, std::vector<std::uint8_t> pending,
               client_origin origin);
  // How late the shard's 250 ms tick last ran: a busy or blocked event loop shows here. Any
  // thread.
  std::chrono::microseconds loop_lag() const noexcept {
    return std::chrono::microseconds(loop_lag_us_.load(std::memory_order_relaxed));
  }
  // The deadlines of this shard's connections, on one timer.
  deadline_queue& deadlines() noexcept { return deadlines_; }
  // Buffers for the connections' writes in flight.
  pending_write_pool& writes() noexcept { return writes_; }
  // A large buffer reused by every read on this shard.
  std::span<std::uint8_t> scratch() noexcept { return scratch_; }

 private:
  void stop_on_thread();
  void arm_tick();
  void flush_connections();
  void abandon_held();
  void on_durable(std::uint64_t ticket);
  void add(connection_ptr c);

  std::size_t index_;
  core::broker_shared& shared_;
  server& server_;
  boost::asio::io_context context_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer stop_deadline_;
  boost::asio::steady_timer tick_;
  deadline_queue deadlines_;
  std::thread thread_;
  core::shard_core core_;  // declared before connections_: sessions detach from it on teardown
  pending_write_pool writes_{core_.outputs()};
  // The open connections, owned here; looked up by address.
  struct by_address {
    using is_transparent = void;
    static const connection* key(const connection* c) noexcept { return c; }
    static const connection* key(const connection_ptr& c) noexcept { return c.get(); }
    std::size_t operator()(const auto& c) const noexcept {
      return boost::hash<const connection*>{}(key(c));
    }
    bool operator()(const auto& a, const auto& b) const noexcept { return key(a) == key(b); }
  };
  boost::unordered_flat_set<connection_ptr, by_address, by_address> connections_;
  std::vector<connection_ptr> to_flush_;
  std::vector<connection_ptr> held_;              // output waiting for a commit
  std::atomic<std::uint64_t> durable_ticket_{0};  // set by the storage thread
  std::atomic<bool> durable_posted_{false};
  std::vector<std::uint8_t> scratch_;
  limit_counters limits_;
  std::atomic<std::int64_t> loop_lag_us_{0};
  bool stopping_ = false;
};

}  // namespace tern::net
