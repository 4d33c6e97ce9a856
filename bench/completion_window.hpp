#pragma once
// Closed-loop accounting for one publisher. A message is complete once every subscriber of the
// publisher has received it or skipped past it (a later number arrived first). Since each
// subscriber's progress is a prefix of the sequence, so is completion; the publisher may then keep
// `window` messages beyond it in flight.

#include <cstdint>
#include <vector>

namespace tern::bench {

class completion_window {
 public:
  void configure(std::uint32_t window, std::uint32_t subscribers);

  // One subscriber's next-expected number moved from `from` to `to`. Requires to <= sent <=
  // completed() + window. Returns how many messages became complete.
  std::uint64_t advance(std::uint64_t from, std::uint64_t to);
  // Give up on everything below `sent` (a stalled window).
  void abandon(std::uint64_t sent);

  std::uint64_t completed() const noexcept { return completed_; }
  std::uint32_t window() const noexcept { return window_; }

 private:
  std::vector<std::uint32_t> counts_;  // subscribers past each outstanding number, by seq & mask_
  std::uint64_t mask_ = 0;
  std::uint32_t window_ = 1;
  std::uint32_t subscribers_ = 1;
  std::uint64_t completed_ = 0;
};

}  // namespace tern::bench
