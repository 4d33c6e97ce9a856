#pragma once
// A picture of the whole broker at one moment, for $SYS topics, /metrics and the admin API:
// every shard's counters added together, plus what only a walk over its sessions can tell
// (connected clients, queue depths), plus the broker-wide stores and the storage thread.
//
// collect_stats() posts one small task to every shard, each reads its own state on its own
// thread, and the last to finish hands the sum to `done` on the control thread. Nothing blocks
// a shard; a snapshot costs one walk over each shard's sessions.
//
// Thread: collect_stats() and `done` on the control thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/limit_event.hpp"
#include "protocol/traffic_stats.hpp"
#include "storage/group_committer.hpp"

namespace tern::net {
class server;
}

namespace tern::admin {

// traffic_stats read into plain numbers.
struct traffic_totals {
  std::uint64_t packets_received = 0;
  std::uint64_t packets_sent = 0;
  std::array<std::uint64_t, 3> publish_received{};
  std::array<std::uint64_t, 3> publish_sent{};
  std::array<std::uint64_t, 3> payload_bytes_received{};
  std::array<std::uint64_t, 3> payload_bytes_sent{};
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::array<std::uint64_t, protocol::k_drop_reason_count> dropped{};
  std::uint64_t auth_failures = 0;
  std::uint64_t connections = 0;

  void add(const protocol::traffic_stats& s) noexcept;
  void add(const traffic_totals& t) noexcept;
  std::uint64_t publish_received_all() const noexcept;
  std::uint64_t publish_sent_all() const noexcept;
  std::uint64_t dropped_all() const noexcept;
};

struct shard_stats {
  std::size_t index = 0;
  traffic_totals traffic;
  std::size_t connected = 0;      // sessions with a live connection
  std::size_t sessions = 0;       // connected or waiting for their client
  std::size_t subscriptions = 0;  // held by these sessions (shared ones included)
  std::uint64_t queued_messages = 0;
  std::uint64_t queued_bytes = 0;     // in memory and paged
  std::uint64_t max_queue_depth = 0;  // deepest single session queue
  std::uint64_t inflight_messages = 0;
  std::chrono::microseconds loop_lag{0};
  std::array<std::uint64_t, protocol::k_limit_event_count> limits{};
};

struct listener_totals {
  std::string name;
  std::string protocol;
  std::size_t open = 0;
  std::uint64_t accepted = 0;
};

struct broker_stats {
  std::vector<shard_stats> shards;
  traffic_totals traffic;  // sum over shards
  std::size_t connected = 0;
  std::size_t sessions = 0;
  std::size_t subscriptions = 0;  // entries in the broker-wide subscription index
  std::uint64_t queued_messages = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t max_queue_depth = 0;
  std::uint64_t inflight_messages = 0;
  std::size_t retained = 0;
  std::array<std::uint64_t, protocol::k_limit_event_count> limits{};
  std::vector<listener_totals> listeners;
  std::size_t open_sockets = 0;                // admitted sockets, CONNECT done or not
  std::optional<storage::commit_stats> store;  // none in memory mode
  bool store_healthy = true;
  std::chrono::seconds uptime{0};
  std::uint64_t rss_bytes = 0;      // resident set size now
  std::uint64_t max_rss_bytes = 0;  // highest resident set size so far
};

// Gathers a snapshot; `done` runs on the control thread once every shard has answered.
void collect_stats(net::server& server, std::chrono::steady_clock::time_point started,
                   std::function<void(broker_stats)> done);

}  // namespace tern::admin
