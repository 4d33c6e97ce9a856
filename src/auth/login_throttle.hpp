#pragma once
// Slows password guessing: each failed login from a source address delays its refusal, doubling
// with the failures that address had recently, up to a bound. Failures are forgotten once an
// address has been quiet for the decay period. The table is bounded: when full, addresses quiet
// for longest go first.
//
// Thread: any (one mutex; touched once per failed login only).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tern::auth {

struct throttle_settings {
  std::chrono::milliseconds first_delay{250};
  std::chrono::milliseconds max_delay{8'000};
  std::chrono::seconds decay{60};
  std::size_t max_addresses = 10'000;
};

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;
  explicit login_throttle(throttle_settings settings = {}) : settings_(settings) {}

  // Records a failed login from `address` and returns how long its refusal waits.
  std::chrono::milliseconds on_failure(const std::string& address, clock::time_point now);
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

 private:
  struct record {
    std::uint32_t recent = 0;
    clock::time_point last;
  };
  void evict(clock::time_point now);

  throttle_settings settings_;
  std::mutex mutex_;
  std::unordered_map<std::string, record> by_address_;
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace tern::auth
