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
// Thread: on_accept() runs on the control thread (the listeners); refused() and on_close() run
// on shard threads. Counts and records are atomics.

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

  // Registers a listener with its own limit (0 = none); returns its index. Before start.
  // `rate_limited` false: the connection rate is not checked there (behind a load balancer
  // every socket comes from the balancer's address).
  std::size_t add_listener(std::size_t max_connections, bool rate_limited = true);

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
    return listeners_[listener]->open.load(std::memory_order_relaxed);
  }
  std::uint64_t listener_accepted(std::size_t listener) const noexcept {
    return listeners_[listener]->accepted.load(std::memory_order_relaxed);
  }
  // How far past a limit connections are still accepted to be refused politely.
  static std::size_t refusal_margin(std::size_t limit) noexcept;

 private:
  struct listener_slot {
    std::size_t max = 0;
    bool rate_limited = true;
    std::atomic<std::size_t> open{0};
    std::atomic<std::uint64_t> accepted{0};  // admitted since start (refused ones included)
  };
  static constexpr std::uint32_t k_refused_bit = 0x8000'0000u;

  admission_settings settings_;
  rate_limiter rate_;
  std::atomic<std::size_t> open_{0};
  std::vector<std::unique_ptr<listener_slot>> listeners_;
  // Per descriptor: 0 = not ours, else listener index + 1, with k_refused_bit.
  std::size_t descriptors_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> records_;
};

}  // namespace tern::net
