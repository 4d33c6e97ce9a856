#pragma once
// $SYS topics: the broker's statistics as retained messages under Mosquitto's names
// ($SYS/broker/clients/connected, $SYS/broker/load/messages/received/1min, ...), refreshed
// every `interval`. A topic is published again only when its value changed, except uptime.
// They are published on shard 0 like any message, with QoS 0 and the retain flag, so a new
// subscriber to $SYS/# gets the current values at once; the store never sees them (they are
// regenerated, see shard_core::publish).
//
// sys_values() turns a snapshot into (topic, value) pairs and is separate from the timer so it
// can be tested without a broker.
//
// Thread: the control thread.

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "admin/broker_stats.hpp"
#include "admin/load_average.hpp"

namespace tern::net {
class server;
}

namespace tern::admin {

// Load averages ($SYS/broker/load/...) kept between snapshots.
struct sys_loads {
  load_average messages_received, messages_sent, publish_received, publish_sent, publish_dropped,
      bytes_received, bytes_sent, connections, sockets;
  // Totals of the previous snapshot, to turn counters into rates.
  traffic_totals last;
  std::uint64_t last_sockets = 0;
  std::chrono::steady_clock::time_point last_at{};
  bool started = false;

  // Brings in the counters of `now_stats`, taken at `at`.
  void update(const broker_stats& now_stats, std::chrono::steady_clock::time_point at);
};

// Every $SYS topic with its current value. `max_connected` is the highest connected count seen.
std::vector<std::pair<std::string, std::string>> sys_values(const broker_stats& stats,
                                                            const sys_loads& loads,
                                                            std::size_t max_connected,
                                                            std::string_view version);

class sys_publisher {
 public:
  sys_publisher(net::server& server, std::chrono::milliseconds interval, std::string version,
                std::chrono::steady_clock::time_point started);
  // Publishes at once, then every interval. Nothing happens with a zero interval.
  void start();
  void stop();

 private:
  void arm();
  void publish(const broker_stats& stats);

  net::server& server_;
  std::chrono::milliseconds interval_;
  std::string version_;
  std::chrono::steady_clock::time_point started_;
  boost::asio::steady_timer timer_;
  sys_loads loads_;
  std::size_t max_connected_ = 0;
  std::map<std::string, std::string, std::less<>> last_;  // what was published last
  bool stopped_ = false;
};

}  // namespace tern::admin
