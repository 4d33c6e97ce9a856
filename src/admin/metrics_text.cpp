#include "admin/metrics_text.hpp"

#include <fmt/format.h>

#include "admin/prometheus_writer.hpp"

namespace tern::admin {

namespace {

using u64 = std::uint64_t;
constexpr std::array<std::string_view, 3> k_qos{"0", "1", "2"};

// A counter family with one sample per QoS level.
void by_qos(prometheus_writer& w, std::string_view name, std::string_view help,
            const std::array<u64, 3>& values) {
  w.family(name, metric_type::counter, help);
  for (std::size_t q = 0; q < 3; ++q) w.sample(name, {{"qos", k_qos[q]}}, values[q]);
}

void gauge(prometheus_writer& w, std::string_view name, std::string_view help, u64 value) {
  w.family(name, metric_type::gauge, help);
  w.sample(name, value);
}

void counter(prometheus_writer& w, std::string_view name, std::string_view help, u64 value) {
  w.family(name, metric_type::counter, help);
  w.sample(name, value);
}

void store_metrics(prometheus_writer& w, const storage::commit_stats& store, bool healthy) {
  counter(w, "tern_store_commits_total", "Writes to the store (each one fsync in fsync mode).",
          store.commits);
  counter(w, "tern_store_batches_total", "Shard batches handed to the store.", store.batches);
  counter(w, "tern_store_changes_cancelled_total",
          "Changes left out of a store write because a later change in the same write undid "
          "them (a record created and deleted while the previous write was in progress).",
          store.cancelled);
  counter(w, "tern_store_commit_failures_total", "Store writes that failed (and were retried).",
          store.failures);
  gauge(w, "tern_store_healthy", "1 while the store accepts writes, 0 while they fail.",
        healthy ? 1u : 0u);
  constexpr std::string_view name = "tern_store_commit_duration_seconds";
  w.family(name, metric_type::histogram, "Time of one group commit (write and fsync).");
  u64 cumulative = 0;
  for (std::size_t i = 0; i < storage::k_commit_latency_bounds_us.size(); ++i) {
    cumulative += store.latency_buckets[i];
    const auto le =
        fmt::format("{}", static_cast<double>(storage::k_commit_latency_bounds_us[i]) / 1e6);
    w.sample("tern_store_commit_duration_seconds_bucket", {{"le", le}}, cumulative);
  }
  cumulative += store.latency_buckets.back();
  w.sample("tern_store_commit_duration_seconds_bucket", {{"le", "+Inf"}}, cumulative);
  w.sample("tern_store_commit_duration_seconds_sum",
           static_cast<double>(store.commit_micros) / 1e6);
  w.sample("tern_store_commit_duration_seconds_count", cumulative);
}

}  // namespace

std::string render_metrics(const broker_stats& s) {
  prometheus_writer w;
  const auto& t = s.traffic;
  gauge(w, "tern_uptime_seconds", "Seconds since the broker started.",
        static_cast<u64>(s.uptime.count()));
  gauge(w, "tern_clients_connected", "Clients with a live MQTT connection.", s.connected);
  gauge(w, "tern_sessions", "Sessions, connected or waiting for their client.", s.sessions);
  gauge(w, "tern_sockets_open", "Admitted sockets, before or after CONNECT.", s.open_sockets);
  counter(w, "tern_connections_total", "CONNECTs accepted since start.", t.connections);

  w.family("tern_listener_connections", metric_type::gauge, "Open sockets per listener.");
  for (const auto& l : s.listeners) {
    w.sample("tern_listener_connections", {{"listener", l.name}, {"protocol", l.protocol}},
             static_cast<u64>(l.open));
  }
  w.family("tern_listener_connections_total", metric_type::counter,
           "Sockets admitted per listener since start.");
  for (const auto& l : s.listeners) {
    w.sample("tern_listener_connections_total", {{"listener", l.name}, {"protocol", l.protocol}},
             l.accepted);
  }

  counter(w, "tern_packets_received_total", "MQTT control packets received.", t.packets_received);
  counter(w, "tern_packets_sent_total", "MQTT control packets sent.", t.packets_sent);
  by_qos(w, "tern_messages_received_total", "PUBLISH messages received, by QoS.",
         t.publish_received);
  by_qos(w, "tern_messages_sent_total", "PUBLISH messages sent, by QoS.", t.publish_sent);
  by_qos(w, "tern_message_payload_bytes_received_total", "PUBLISH payload bytes received, by QoS.",
         t.payload_bytes_received);
  by_qos(w, "tern_message_payload_bytes_sent_total", "PUBLISH payload bytes sent, by QoS.",
         t.payload_bytes_sent);
  counter(w, "tern_bytes_received_total", "Bytes of MQTT received from clients.", t.bytes_received);
  counter(w, "tern_bytes_sent_total", "Bytes of MQTT written to clients.", t.bytes_sent);

  w.family("tern_messages_dropped_total", metric_type::counter,
           "Messages not delivered or not routed, by reason.");
  for (std::size_t i = 0; i < protocol::k_drop_reason_count; ++i) {
    w.sample("tern_messages_dropped_total",
             {{"reason", protocol::to_string(static_cast<protocol::drop_reason>(i))}},
             t.dropped[i]);
  }
  counter(w, "tern_auth_failures_total", "Logins refused (bad credentials, or anonymous).",
          t.auth_failures);
  w.family("tern_limit_events_total", metric_type::counter,
           "Times a configured limit refused or dropped something, by limit.");
  for (std::size_t i = 0; i < protocol::k_limit_event_count; ++i) {
    w.sample("tern_limit_events_total",
             {{"limit", protocol::to_string(static_cast<protocol::limit_event>(i))}}, s.limits[i]);
  }

  gauge(w, "tern_queued_messages", "Messages queued for sessions (in memory and paged).",
        s.queued_messages);
  gauge(w, "tern_queued_bytes", "Topic and payload bytes of queued messages.", s.queued_bytes);
  gauge(w, "tern_queue_depth_max", "Messages queued for the session with the deepest queue.",
        s.max_queue_depth);
  gauge(w, "tern_inflight_messages", "QoS 1/2 messages sent and not yet acknowledged.",
        s.inflight_messages);
  gauge(w, "tern_retained_messages", "Retained messages.", s.retained);
  gauge(w, "tern_subscriptions", "Subscriptions in the broker-wide index.", s.subscriptions);
  gauge(w, "tern_resident_memory_bytes", "Resident set size of the process.", s.rss_bytes);

  w.family("tern_shard_loop_lag_seconds", metric_type::gauge,
           "How late each shard's event loop ran its periodic tick.");
  for (const auto& shard : s.shards) {
    const auto index = fmt::format("{}", shard.index);
    w.sample("tern_shard_loop_lag_seconds", {{"shard", index}},
             static_cast<double>(shard.loop_lag.count()) / 1e6);
  }
  if (s.store) store_metrics(w, *s.store, s.store_healthy);
  return w.take();
}

}  // namespace tern::admin
