#pragma once
// Admission control at accept time: the broker-wide and per-listener connection limits and the
// per-address connection rate.
//
// Model. MQTT has no way to refuse a TCP connection before its CONNECT is read, and a client
// that only sees its socket close tends to reconnect at once. So a connection beyond a limit is
// still accepted while the overshoot is small (up to refusal_margin() sockets): its CONNECT is
// answered with CONNACK 0x97 quota exceeded (3.1/3.1.1: 3, server unavailable) and it is closed.
// Refused connections count as open until they close, which bounds them; beyond the margin, or
// over the connection rate of the source address, the socket is closed at accept without a
// word, which is the cheapest answer to a flood.
//
// Each accepted socket is recorded by its file descriptor: the record names its listener and
// whether it is refused. The descriptor survives a connection's move to another shard, so the
// shards need not carry admission state around, and the closing connection releases its record
// (before closing the descriptor, which may then be reused at once).
//
// Listeners come and go while running (a configuration reload). Their slots live in one array
// allocated up front, so on_close() on a shard thread never reads a container that the control
// thread grows; a removed listener's slot is reused once its last connection has closed.
//
// Thread: on_accept(), the listener registry and update() run on the control thread (the
// listeners, the reload); refused() and on_close() run on shard threads. Counts and records are
// atomics; limits and the rate limiter are read and written on the control thread only.

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "net/rate_limiter.hpp"
#include "protocol/limit_event.hpp"

namespace tern::net {

struct admission_settings {
  std::size_t max_connections = 0;  // broker-wide, 0 = unlimited
  double connection_rate = 0;       // new connections per second and source address, 0 = off
  double connection_burst = 20;     // connections a source may open at once
};

class admission {
 public:
  // `descriptors`: how many file descriptors to track (the process limit).
  admission(const admission_settings& settings, std::size_t descriptors);

  // Most listeners registered at once, removed ones still holding connections included.
  static constexpr std::size_t k_max_listeners = 1024;

  // Registers a listener with its own limit (0 = none); returns its index. Throws
  // std::length_error when k_max_listeners slots are in use. `rate_limited` false: the
  // connection rate is not checked there (behind a load balancer every socket comes from the
  // balancer's address).
  std::size_t add_listener(std::size_t max_connections, bool rate_limited = true);
  // Changes a listener's limit and rate check; its open connections stay counted.
  void update_listener(std::size_t listener, std::size_t max_connections, bool rate_limited);
  // The listener is gone: its connections keep their slot until they close, then the slot may
  // serve a new listener.
  void remove_listener(std::size_t listener);
  // New broker-wide limits for the connections accepted from now on. Open connections above a
  // lowered limit stay.
  void update(const admission_settings& settings);

  enum class decision : std::uint8_t { admit, refuse, close };
  struct verdict {
    decision what = decision::admit;
    protocol::limit_event why = protocol::limit_event::connection_limit;  // unless admitted
  };
  // A socket was accepted on `listener`. Unless the verdict is close, the socket is recorded
  // and counted until on_close(fd).
  verdict on_accept(std::size_t listener, const boost::asio::ip::address& peer, int fd,
                    std::chrono::steady_clock::time_point now);
  // True when the connection on `fd` was accepted only to be refused at CONNECT.
  bool refused(int fd) const noexcept;
  // The connection on `fd` ends. Call before closing the descriptor.
  void on_close(int fd) noexcept;

  std::size_t open_connections() const noexcept { return open_.load(std::memory_order_relaxed); }
  // Per listener (metrics): sockets open now, and admitted since start.
  std::size_t listener_open(std::size_t listener) const noexcept {
    return listeners_[listener].open.load(std::memory_order_relaxed);
  }
  std::uint64_t listener_accepted(std::size_t listener) const noexcept {
    return listeners_[listener].accepted.load(std::memory_order_relaxed);
  }
  // How far past a limit connections are still accepted to be refused politely.
  static std::size_t refusal_margin(std::size_t limit) noexcept;

 private:
  struct listener_slot {
    std::size_t max = 0;
    bool rate_limited = true;
    bool in_use = false;  // registered and not removed
    std::atomic<std::size_t> open{0};
    std::atomic<std::uint64_t> accepted{0};  // admitted since start (refused ones included)
  };
  static constexpr std::uint32_t k_refused_bit = 0x8000'0000u;

  admission_settings settings_;
  rate_limiter rate_;
  std::atomic<std::size_t> open_{0};
  // k_max_listeners slots; slots_used_ of them have ever been handed out.
  std::unique_ptr<listener_slot[]> listeners_;
  std::size_t slots_used_ = 0;
  // Per descriptor: 0 = not ours, else listener index + 1, with k_refused_bit.
  std::size_t descriptors_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> records_;
};

}  // namespace tern::net
