#include "options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <map>

namespace tern::bench {

std::string_view to_string(scenario_kind kind) noexcept {
  switch (kind) {
    case scenario_kind::pairs:
      return "pairs";
    case scenario_kind::fanin:
      return "fanin";
    case scenario_kind::fanout:
      return "fanout";
    case scenario_kind::manysubs:
      return "manysubs";
    case scenario_kind::conns:
      return "conns";
    case scenario_kind::retained:
      return "retained";
  }
  return "unknown";
}

parse_result parse_options(int argc, char** argv) {
  CLI::App app{"tern-bench: MQTT load generator (publisher/subscriber pairs, fan-in, fan-out)",
               "tern-bench"};
  bench_options o;
  int port = o.port;
  int qos = o.qos;
  int mqtt = o.mqtt;
  double rate = 0;

  const std::map<std::string, scenario_kind> scenarios{
      {"pairs", scenario_kind::pairs},   {"fanin", scenario_kind::fanin},
      {"fanout", scenario_kind::fanout}, {"manysubs", scenario_kind::manysubs},
      {"conns", scenario_kind::conns},   {"retained", scenario_kind::retained}};
  std::string scenario_name{to_string(o.scenario)};
  app.add_option("-s,--scenario", scenario_name,
                 "pairs: N publisher/subscriber pairs on <prefix>/<i>; fanin: N publishers -> 1 "
                 "subscriber on <prefix>/#; fanout: 1 publisher -> N subscribers; manysubs: "
                 "--subscriptions filters over N subscribers, --publishers on random ones; conns: "
                 "N idle connections; retained: N retained messages, then --subscribers get them")
      ->check(CLI::IsMember({"pairs", "fanin", "fanout", "manysubs", "conns", "retained"}))
      ->capture_default_str();
  app.add_option("--host", o.host, "Broker host")->capture_default_str();
  app.add_option("-p,--port", port, "Broker port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("-n,--clients", o.clients,
                 "Pairs, publishers (fanin), subscribers (fanout, manysubs), connections (conns) "
                 "or retained topics (retained)")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  app.add_option("--subscriptions", o.subscriptions,
                 "manysubs: distinct topic filters, spread evenly over the N subscribers")
      ->check(CLI::Range(1u, 100'000'000u))
      ->capture_default_str();
  app.add_option("--publishers", o.publishers,
                 "manysubs: publishers, each on random topics that match one subscription each")
      ->check(CLI::Range(1u, 100'000u))
      ->capture_default_str();
  app.add_option("--subscribe-batch", o.subscribe_batch,
                 "manysubs: topic filters per SUBSCRIBE packet (the next waits for its SUBACK)")
      ->check(CLI::Range(1u, 10'000u))
      ->capture_default_str();
  app.add_option("--subscribers", o.subscribers,
                 "retained: subscribers that each receive all N retained messages")
      ->check(CLI::Range(1u, 100'000u))
      ->capture_default_str();
  app.add_option("--source-addresses", o.source_addresses,
                 "Connect from this many addresses in 127.0.0.0/8, new ones every run (0 = "
                 "kernel's choice); for tens of thousands of connections to a loopback broker")
      ->check(CLI::Range(0u, 254u))
      ->capture_default_str();
  int broker_pid = 0;
  app.add_option("--broker-pid", broker_pid,
                 "conns: the broker's process id, to report its resident memory per connection")
      ->check(CLI::PositiveNumber);
  app.add_option("--qos", qos, "QoS of PUBLISH and SUBSCRIBE")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  app.add_option("--size", o.size,
                 "Payload bytes (>= 16: 8-byte send timestamp + 8-byte sequence number)")
      ->check(CLI::Range(16u, 16u * 1024u * 1024u))
      ->capture_default_str();
  app.add_option("--mqtt", mqtt, "Protocol: 3 = MQTT 3.1.1, 5 = MQTT 5.0")
      ->check(CLI::IsMember({3, 5}))
      ->capture_default_str();
  app.add_option("-d,--duration", o.duration_s, "Measured window in seconds")
      ->check(CLI::Range(0.001, 1e6))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "Seconds of traffic before the window, not counted")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  auto* inflight = app.add_option("--inflight", o.inflight,
                                  "Closed loop: messages each publisher keeps in flight end-to-end")
                       ->check(CLI::Range(1u, 65535u))
                       ->capture_default_str();
  app.add_option("--rate", rate,
                 "Open loop: total messages/s offered on a fixed schedule; latency is measured "
                 "from the scheduled send time")
      ->check(CLI::Range(0.001, 1e9))
      ->excludes(inflight);
  app.add_option("--drain", o.drain_s, "Seconds to wait for outstanding messages after the window")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("-k,--keepalive", o.keep_alive_s, "Keep-alive in seconds (0 = none)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout_s,
                 "Seconds for every client to connect (and subscribe)")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency,
                 "Connection handshakes in progress at once")
      ->check(CLI::Range(1u, 100'000u))
      ->capture_default_str();
  app.add_option("--topic-prefix", o.topic_prefix, "First topic level")->capture_default_str();
  app.add_flag("--persistent", o.persistent,
               "Subscribers connect with clean start 0 (MQTT 5: Session Expiry Interval 3600) and "
               "client ids unique to the run; their sessions are discarded at the end");
  app.add_flag("--json", o.json, "Print one JSON object on stdout at the end");
  app.add_flag("-q,--quiet", o.quiet, "No progress line on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help prints and exits 0; usage errors print and exit 2.
    return {std::nullopt, app.exit(e) == 0 ? 0 : 2};
  }
  if (o.topic_prefix.empty() || o.topic_prefix.find_first_of("+#") != std::string::npos) {
    fmt::print(stderr, "tern-bench: error: --topic-prefix must be a non-empty topic name\n");
    return {std::nullopt, 2};
  }
  o.scenario = scenarios.at(scenario_name);
  o.port = static_cast<std::uint16_t>(port);
  o.qos = static_cast<std::uint8_t>(qos);
  o.mqtt = static_cast<std::uint8_t>(mqtt);
  if (app.count("--rate") > 0) o.rate = rate;
  if (app.count("--broker-pid") > 0) o.broker_pid = broker_pid;
  if (o.source_addresses > 0 && !o.host.starts_with("127.")) {
    fmt::print(stderr, "tern-bench: error: --source-addresses needs a 127.x.x.x --host\n");
    return {std::nullopt, 2};
  }
  if (o.scenario == scenario_kind::manysubs &&
      (o.subscriptions < o.publishers || o.subscriptions < o.clients)) {
    // Every subscriber holds a filter, and every publisher owns a topic (see scenario.hpp).
    fmt::print(stderr,
               "tern-bench: error: manysubs needs --subscriptions >= --publishers and >= -n\n");
    return {std::nullopt, 2};
  }
  if ((o.scenario == scenario_kind::conns || o.scenario == scenario_kind::retained) && o.rate) {
    fmt::print(stderr, "tern-bench: error: --rate applies to pairs, fanin, fanout and manysubs\n");
    return {std::nullopt, 2};
  }
  return {o, 0};
}

}  // namespace tern::bench
