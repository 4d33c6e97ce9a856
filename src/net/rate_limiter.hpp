#pragma once
// Connection rate per source address: one token bucket per address (IPv6 per /64, since one
// host commonly holds a whole /64). A bucket holds up to `burst` tokens and refills at `rate`
// per second; each new connection takes one, and a connection finding none is refused.
//
// Memory is bounded: at `max_tracked` addresses, buckets that have refilled completely (and so
// carry no information) are forgotten; if all are still in use the new address is let through
// untracked rather than letting the table grow.
//
// Thread: the control thread (the listeners) only.

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace tern::net {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // `rate` <= 0 turns the limiter off.
  rate_limiter(double rate, double burst, std::size_t max_tracked = 65'536);

  // New rate and burst (a configuration reload). Buckets keep their tokens, capped at the new
  // burst; turning the limiter off forgets them.
  void set_rate(double rate, double burst);
  // Takes a token for a connection from `address`; false when its bucket is empty.
  bool allow(const boost::asio::ip::address& address, clock::time_point now);
  std::size_t tracked() const noexcept { return buckets_.size(); }

 private:
  using key = std::array<std::uint8_t, 16>;
  struct key_hash {
    std::size_t operator()(const key& k) const noexcept;
  };
  struct bucket {
    double tokens;
    clock::time_point updated;
  };
  static key key_of(const boost::asio::ip::address& address);
  double refilled(const bucket& b, clock::time_point now) const;
  void forget_full(clock::time_point now);

  double rate_;
  double burst_;
  std::size_t max_tracked_;
  std::unordered_map<key, bucket, key_hash> buckets_;
};

}  // namespace tern::net
