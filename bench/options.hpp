#pragma once
// Command-line options of tern-bench and their parsing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::bench {

enum class scenario_kind : std::uint8_t { pairs, fanin, fanout, manysubs, conns, retained };

std::string_view to_string(scenario_kind kind) noexcept;

struct bench_options {
  scenario_kind scenario = scenario_kind::pairs;
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  // pairs: N pairs; fanin: N publishers; fanout and manysubs: N subscribers; conns: N idle
  // connections; retained: N retained topics.
  std::uint32_t clients = 10;
  std::uint32_t subscriptions = 1000;   // manysubs: distinct filters over the subscribers
  std::uint32_t publishers = 1;         // manysubs: publisher connections
  std::uint32_t subscribe_batch = 500;  // manysubs: filters per SUBSCRIBE packet
  std::uint32_t subscribers = 1;        // retained: subscribers receiving every retained message
  // Connect from this many loopback addresses 127.<random>.<random>.1.. (0: the kernel's choice),
  // so that tens of thousands of connections, and those in TIME_WAIT from the previous run, do
  // not exhaust one address's ephemeral ports. Needs an IPv4 loopback broker address.
  std::uint32_t source_addresses = 0;
  std::optional<int> broker_pid;    // conns: read the broker's VmRSS from /proc/PID/status
  std::uint8_t qos = 0;             // 0, 1 or 2, used for PUBLISH and SUBSCRIBE alike
  std::uint32_t size = 16;          // payload bytes, at least the 16-byte stamp
  std::uint8_t mqtt = 5;            // 3 = MQTT 3.1.1, 5 = MQTT 5.0
  double duration_s = 5.0;          // measured window
  double warmup_s = 1.0;            // traffic before the measured window, not counted
  std::uint32_t inflight = 16;      // closed loop: messages in flight end-to-end per publisher
  std::optional<double> rate;       // open loop: total messages/s offered (replaces --inflight)
  double drain_s = 2.0;             // after the window: wait this long at most for stragglers
  std::uint16_t keep_alive_s = 60;  // CONNECT keep-alive; PINGREQ after half of it idle
  double connect_timeout_s = 10.0;
  std::uint32_t connect_concurrency = 64;  // connection handshakes in progress at once
  std::string topic_prefix = "bench";
  // Subscribers keep their sessions (clean start 0; MQTT 5: Session Expiry Interval 3600), so
  // the broker queues, and with a store writes, their QoS 1/2 messages. Publishers stay clean.
  bool persistent = false;
  bool json = false;
  bool quiet = false;  // no progress line on stderr

  bool open_loop() const noexcept { return rate.has_value(); }
};

struct parse_result {
  std::optional<bench_options> options;  // empty: exit with exit_code (help, or a usage error)
  int exit_code = 0;
};

parse_result parse_options(int argc, char** argv);

}  // namespace tern::bench
