#pragma once
// How often each configured limit bit, per shard, for logs now and metrics later. Every event
// is counted; the log gets at most one line per kind and shard every k_log_interval, which
// names how many events it stands for, so a flood of refusals cannot flood the log.
//
// Thread: any. The shard's connections and the listeners (control thread) record into it; the
// counts can be read from any thread.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "protocol/limit_event.hpp"

namespace tern::net {

class limit_counters {
 public:
  static constexpr std::chrono::milliseconds k_log_interval{10'000};

  // Counts `event`; logs it with the text `describe()` returns unless a line for this kind
  // went out recently (the text is only built when it is logged). Returns true when it logged.
  template <typename Describe>
  bool record(protocol::limit_event event, Describe&& describe,
              std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    const auto times = count_and_claim_log(event, now);
    if (times == 0) return false;
    log(event, describe(), times);
    return true;
  }
  std::uint64_t count(protocol::limit_event event) const noexcept;

 private:
  // Counts the event; returns how many events the log line due now stands for, 0 if none is.
  std::uint64_t count_and_claim_log(protocol::limit_event event,
                                    std::chrono::steady_clock::time_point now) noexcept;
  static void log(protocol::limit_event event, std::string_view detail, std::uint64_t times);

  struct kind {
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> unlogged{0};    // counted since the last log line
    std::atomic<std::int64_t> next_log_ms{0};  // steady clock, ms; 0 = log the next one
  };
  std::array<kind, protocol::k_limit_event_count> kinds_;
};

}  // namespace tern::net
