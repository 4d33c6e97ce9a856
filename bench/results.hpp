#pragma once
// What one run measured.

#include <cstdint>
#include <string>

#include "cpu_usage.hpp"

namespace tern::bench {

struct latency_summary {
  std::uint64_t count = 0;
  double mean_us = 0;
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
};

struct run_results {
  std::uint32_t publishers = 0;
  std::uint32_t subscribers = 0;
  double warmup_s = 0;    // actual
  double measured_s = 0;  // actual length of the measured window

  std::uint64_t published = 0;  // PUBLISH sent during the window
  std::uint64_t delivered = 0;  // first receipts at subscribers during the window
  // Per delivery of a message sent (scheduled, in open loop) during the window, whenever it
  // arrived: receive time minus send time.
  latency_summary latency;
  // Per QoS 1/2 PUBLISH sent during the window, whenever acknowledged: the time from sending it to
  // its PUBACK (QoS 1) or PUBREC (QoS 2), and for QoS 2 also to its PUBCOMP.
  latency_summary ack_latency;
  latency_summary pubcomp_latency;

  // Over the whole run, per (publisher, subscriber) stream, after the drain.
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;

  std::uint64_t connect_failures = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t protocol_errors = 0;

  std::uint64_t window_timeouts = 0;  // closed loop: windows given up after a 2 s stall
  std::uint64_t backlog = 0;          // open loop: messages due in the window but never sent

  cpu_usage cpu;  // the generator's own CPU during the window

  bool aborted = false;
  std::string abort_reason;

  std::uint64_t errors() const noexcept { return connect_failures + disconnects + protocol_errors; }
  bool ok() const noexcept { return !aborted && errors() == 0; }
};

}  // namespace tern::bench
