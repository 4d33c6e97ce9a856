#include "admin/broker_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "admin/shard_gather.hpp"
#include "net/server.hpp"

namespace tern::admin {

namespace {

std::uint64_t sum(const std::array<std::uint64_t, 3>& a) noexcept {
  return a[0] + a[1] + a[2];
}

template <std::size_t N>
void add_into(std::array<std::uint64_t, N>& to, const std::array<std::uint64_t, N>& from) {
  for (std::size_t i = 0; i < N; ++i) to[i] += from[i];
}

template <std::size_t N>
void read_into(std::array<std::uint64_t, N>& to,
               const std::array<protocol::shard_counter, N>& from) {
  for (std::size_t i = 0; i < N; ++i) to[i] += from[i].get();
}

// Resident set size from /proc/self/statm (pages); 0 if unreadable.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::uint64_t peak_resident_bytes() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

// Runs on the shard's thread.
shard_stats read_shard(net::shard& s) {
  shard_stats out;
  out.index = s.index();
  auto& core = s.core();
  out.traffic.add(core.traffic());
  core.for_each_session([&out](const protocol::session_state& state) {
    ++out.sessions;
    if (state.attached != nullptr) ++out.connected;
    out.subscriptions += state.subscriptions.size();
    const std::uint64_t depth = state.queue.size() + state.paged().count();
    out.queued_messages += depth;
    out.max_queue_depth = std::max(out.max_queue_depth, depth);
    out.queued_bytes += static_cast<std::size_t>(state.queued_bytes) + state.paged().bytes;
    out.inflight_messages += state.inflight.size();
  });
  out.loop_lag = s.loop_lag();
  for (std::size_t i = 0; i < protocol::k_limit_event_count; ++i) {
    out.limits[i] = s.limits().count(static_cast<protocol::limit_event>(i));
  }
  return out;
}

}  // namespace

void traffic_totals::add(const protocol::traffic_stats& s) noexcept {
  packets_received += s.packets_received.get();
  packets_sent += s.packets_sent.get();
  read_into(publish_received, s.publish_received);
  read_into(publish_sent, s.publish_sent);
  read_into(payload_bytes_received, s.payload_bytes_received);
  read_into(payload_bytes_sent, s.payload_bytes_sent);
  bytes_received += s.bytes_received.get();
  bytes_sent += s.bytes_sent.get();
  read_into(dropped, s.dropped);
  auth_failures += s.auth_failures.get();
  connections += s.connections.get();
}

void traffic_totals::add(const traffic_totals& t) noexcept {
  packets_received += t.packets_received;
  packets_sent += t.packets_sent;
  add_into(publish_received, t.publish_received);
  add_into(publish_sent, t.publish_sent);
  add_into(payload_bytes_received, t.payload_bytes_received);
  add_into(payload_bytes_sent, t.payload_bytes_sent);
  bytes_received += t.bytes_received;
  bytes_sent += t.bytes_sent;
  add_into(dropped, t.dropped);
  auth_failures += t.auth_failures;
  connections += t.connections;
}

std::uint64_t traffic_totals::publish_received_all() const noexcept {
  return sum(publish_received);
}
std::uint64_t traffic_totals::publish_sent_all() const noexcept {
  return sum(publish_sent);
}
std::uint64_t traffic_totals::dropped_all() const noexcept {
  std::uint64_t n = 0;
  for (const auto d : dropped) n += d;
  return n;
}

void collect_stats(net::server& server, std::chrono::steady_clock::time_point started,
                   std::function<void(broker_stats)> done) {
  broker_stats result;
  auto& shared = server.shared();
  result.subscriptions = shared.subscriptions.size();
  result.retained = shared.retained.size();
  for (auto& l : server.listeners()) {
    result.listeners.push_back({std::move(l.name), std::move(l.protocol), l.open, l.accepted});
  }
  result.open_sockets = server.gate().open_connections();
  if (shared.committer != nullptr) {
    result.store = shared.committer->stats();
    result.store_healthy = shared.committer->healthy();
  }
  result.uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  result.rss_bytes = resident_bytes();
  result.max_rss_bytes = std::max(peak_resident_bytes(), result.rss_bytes);
  on_every_shard(
      server, read_shard,
      [r = std::move(result), finish = std::move(done)](std::vector<shard_stats> shards) mutable {
        r.shards = std::move(shards);
        for (const auto& one : r.shards) {
          r.traffic.add(one.traffic);
          r.connected += one.connected;
          r.sessions += one.sessions;
          r.queued_messages += one.queued_messages;
          r.queued_bytes += one.queued_bytes;
          r.max_queue_depth = std::max(r.max_queue_depth, one.max_queue_depth);
          r.inflight_messages += one.inflight_messages;
          add_into(r.limits, one.limits);
        }
        finish(std::move(r));
      });
}

}  // namespace tern::admin
