#pragma once
// The open-loop send schedule: global message j is due at t0 + j / rate and belongs to publisher
// j mod P, so publishers take turns at evenly spaced instants. A publisher's k-th message is
// global message k * P + p; its scheduled time is the latency origin, whenever it is actually sent.

#include <cstdint>

namespace tern::bench {

class open_loop_schedule {
 public:
  open_loop_schedule(double total_rate, std::uint32_t publishers) noexcept;

  void start(std::uint64_t t0_ns) noexcept { t0_ns_ = t0_ns; }
  // How many messages (over all publishers) are due at now_ns.
  std::uint64_t due_by(std::uint64_t now_ns) const noexcept;
  // Scheduled time of global message j.
  std::uint64_t time_of(std::uint64_t j) const noexcept;
  std::uint64_t time_of(std::uint32_t publisher, std::uint64_t seq) const noexcept {
    return time_of(seq * publishers_ + publisher);
  }
  std::uint32_t publisher_of(std::uint64_t j) const noexcept {
    return static_cast<std::uint32_t>(j % publishers_);
  }

 private:
  double interval_ns_;
  std::uint32_t publishers_;
  std::uint64_t t0_ns_ = 0;
};

}  // namespace tern::bench
