#include "admin/sys_topics.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "net/server.hpp"

namespace tern::admin {

namespace {

// Per-minute rate of a counter that went from `before` to `after` in `seconds`.
double per_minute(std::uint64_t before, std::uint64_t after, double seconds) {
  if (seconds <= 0 || after < before) return 0;
  return static_cast<double>(after - before) * 60.0 / seconds;
}

constexpr std::array<std::string_view, 3> k_window_names{"1min", "5min", "15min"};

}  // namespace

void sys_loads::update(const broker_stats& s, std::chrono::steady_clock::time_point at) {
  const auto& t = s.traffic;
  const double seconds = started ? std::chrono::duration<double>(at - last_at).count() : 0;
  if (!started || seconds > 0) {
    // The first snapshot has no earlier one: every average starts at zero.
    const auto feed = [&](load_average& avg, std::uint64_t before, std::uint64_t after) {
      avg.update(started ? per_minute(before, after, seconds) : 0, seconds);
    };
    feed(messages_received, last.packets_received, t.packets_received);
    feed(messages_sent, last.packets_sent, t.packets_sent);
    feed(publish_received, last.publish_received_all(), t.publish_received_all());
    feed(publish_sent, last.publish_sent_all(), t.publish_sent_all());
    feed(publish_dropped, last.dropped_all(), t.dropped_all());
    feed(bytes_received, last.bytes_received, t.bytes_received);
    feed(bytes_sent, last.bytes_sent, t.bytes_sent);
    feed(connections, last.connections, t.connections);
    std::uint64_t sockets_now = 0;
    for (const auto& l : s.listeners) sockets_now += l.accepted;
    feed(sockets, last_sockets, sockets_now);
    last_sockets = sockets_now;
  }
  last = t;
  last_at = at;
  started = true;
}

std::vector<std::pair<std::string, std::string>> sys_values(const broker_stats& s,
                                                            const sys_loads& loads,
                                                            std::size_t max_connected,
                                                            std::string_view version) {
  std::vector<std::pair<std::string, std::string>> v;
  const auto put = [&v](std::string_view topic, auto value) {
    v.emplace_back(fmt::format("$SYS/broker/{}", topic), fmt::format("{}", value));
  };
  const auto& t = s.traffic;
  put("version", fmt::format("tern version {}", version));
  put("uptime", fmt::format("{} seconds", s.uptime.count()));
  put("clients/connected", s.connected);
  put("clients/active", s.connected);  // Mosquitto's older name
  put("clients/disconnected", s.sessions - s.connected);
  put("clients/inactive", s.sessions - s.connected);
  put("clients/total", s.sessions);
  put("clients/maximum", max_connected);
  put("messages/received", t.packets_received);
  put("messages/sent", t.packets_sent);
  put("messages/stored", s.queued_messages + s.inflight_messages + s.retained);
  put("publish/messages/received", t.publish_received_all());
  put("publish/messages/sent", t.publish_sent_all());
  put("publish/messages/dropped", t.dropped_all());
  put("publish/bytes/received",
      t.payload_bytes_received[0] + t.payload_bytes_received[1] + t.payload_bytes_received[2]);
  put("publish/bytes/sent",
      t.payload_bytes_sent[0] + t.payload_bytes_sent[1] + t.payload_bytes_sent[2]);
  put("bytes/received", t.bytes_received);
  put("bytes/sent", t.bytes_sent);
  put("subscriptions/count", s.subscriptions);
  put("retained messages/count", s.retained);
  put("heap/current", s.rss_bytes);  // resident set size: Tern does not wrap malloc
  put("heap/maximum", s.max_rss_bytes);
  put("store/messages/count", s.queued_messages + s.inflight_messages + s.retained);
  put("store/messages/bytes", s.queued_bytes);
  const std::pair<std::string_view, const load_average*> loads_by_name[] = {
      {"messages/received", &loads.messages_received},
      {"messages/sent", &loads.messages_sent},
      {"publish/received", &loads.publish_received},
      {"publish/sent", &loads.publish_sent},
      {"publish/dropped", &loads.publish_dropped},
      {"bytes/received", &loads.bytes_received},
      {"bytes/sent", &loads.bytes_sent},
      {"connections", &loads.connections},
      {"sockets", &loads.sockets},
  };
  for (const auto& [name, avg] : loads_by_name) {
    for (std::size_t i = 0; i < k_window_names.size(); ++i) {
      put(fmt::format("load/{}/{}", name, k_window_names[i]), fmt::format("{:.2f}", avg->value(i)));
    }
  }
  for (const auto& shard : s.shards) {
    // Milliseconds with microsecond resolution: how late the shard's event loop ran its tick.
    put(fmt::format("shards/{}/loop lag", shard.index),
        fmt::format("{:.3f} ms", static_cast<double>(shard.loop_lag.count()) / 1000.0));
  }
  return v;
}

sys_publisher::sys_publisher(net::server& server, std::chrono::milliseconds interval,
                             std::string version, std::chrono::steady_clock::time_point started)
    : server_(server),
      interval_(interval),
      version_(std::move(version)),
      started_(started),
      timer_(server.control()) {}

void sys_publisher::start() {
  if (interval_.count() == 0) return;
  timer_.expires_after(std::chrono::milliseconds(0));
  arm();
}

void sys_publisher::stop() {
  stopped_ = true;
  timer_.cancel();
}

void sys_publisher::arm() {
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    collect_stats(server_, started_, [this](broker_stats stats) {
      if (stopped_) return;
      publish(stats);
      timer_.expires_after(interval_);
      arm();
    });
  });
}

void sys_publisher::publish(const broker_stats& stats) {
  loads_.update(stats, std::chrono::steady_clock::now());
  max_connected_ = std::max(max_connected_, stats.connected);
  std::vector<std::pair<std::string, std::string>> changed;
  for (auto& [topic, value] : sys_values(stats, loads_, max_connected_, version_)) {
    const auto it = last_.find(topic);
    const bool always = topic == "$SYS/broker/uptime";
    if (it != last_.end() && it->second == value && !always) continue;
    last_[topic] = value;
    changed.emplace_back(std::move(topic), std::move(value));
  }
  if (changed.empty()) return;
  // One post for the whole set; shard 0 publishes them like any message.
  auto& s = server_.shard_at(0);
  boost::asio::post(s.context(), [&s, batch = std::move(changed)]() mutable {
    const auto now = protocol::clock::now();
    for (auto& [topic, value] : batch) {
      s.core().publish_from_broker(std::move(topic),
                                   std::vector<std::uint8_t>(value.begin(), value.end()),
                                   codec::qos::at_most_once, true, now);
    }
  });
}

}  // namespace tern::admin
