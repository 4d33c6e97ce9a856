#pragma once
// What one run measured.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

// One point of a latency distribution: `percentile` percent of the samples took at most `us`.
struct cdf_point {
  double percentile = 0;
  double us = 0;
};

// manysubs: the SUBSCRIBE phase, from the first SUBSCRIBE to the last SUBACK of any subscriber.
struct subscribe_summary {
  std::uint64_t subscriptions = 0;  // filters acknowledged (by subscribers that completed)
  double seconds = 0;
};

// conns: the connect phase and, with --broker-pid, the broker's resident memory (VmRSS).
struct connect_summary {
  std::uint64_t connections = 0;               // CONNACKs received
  double seconds = 0;                          // from the first TCP connect to the last CONNACK
  std::optional<std::uint64_t> rss_before;     // bytes, before the first connection
  std::optional<std::uint64_t> rss_connected;  // right after the last CONNACK
  std::optional<std::uint64_t> rss_settled;    // after the settle time (--warmup)
  std::optional<std::uint64_t> rss_end;        // at the end of the hold (--duration)
  // The broker's CPU seconds over the connect phase. On loopback the TCP handshake's softirq
  // work runs mostly on the connecting side's core, so this is the broker's part only.
  std::optional<double> broker_cpu_s;
};

// retained: the publish phase (QoS 1, every PUBACK) and the delivery to the subscribers.
struct retained_summary {
  std::uint64_t messages = 0;  // retained messages published and acknowledged
  double publish_s = 0;        // from the first PUBLISH to the last PUBACK
  std::uint64_t subscribers = 0;
  std::uint64_t received = 0;  // distinct retained messages received, summed over subscribers
  double delivery_s = 0;       // from the first SUBSCRIBE to the last retained message received
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

  std::vector<cdf_point> latency_cdf;  // of `latency`, for plots
  std::optional<subscribe_summary> subscribe;
  std::optional<connect_summary> connect;
  std::optional<retained_summary> retained;

  bool aborted = false;
  std::string abort_reason;

  std::uint64_t errors() const noexcept { return connect_failures + disconnects + protocol_errors; }
  bool ok() const noexcept { return !aborted && errors() == 0; }
};

}  // namespace tern::bench
