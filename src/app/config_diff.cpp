#include "app/config_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <type_traits>

namespace tern::app {

namespace {

// How a value looks in the log line "key changed (before -> after)".
std::string text(const std::string& v) {
  return fmt::format("\"{}\"", v);
}
std::string text(const std::filesystem::path& v) {
  return v.empty() ? std::string("unset") : text(v.string());
}
std::string text(bool v) {
  return v ? "true" : "false";
}
std::string text(double v) {
  return fmt::format("{}", v);
}
std::string text(std::chrono::milliseconds v) {
  if (v.count() % 1000 == 0) return fmt::format("{}s", v.count() / 1000);
  return fmt::format("{}ms", v.count());
}
template <typename Int>
requires std::is_integral_v<Int> std::string text(Int v) {
  return fmt::format("{}", v);
}
template <typename T>
std::string text(const std::optional<T>& v) {
  return v ? text(*v) : std::string("unset");
}
std::string text(log_format v) {
  return v == log_format::json ? "\"json\"" : "\"text\"";
}
std::string text(protocol::queue_full_policy v) {
  return v == protocol::queue_full_policy::drop_oldest ? "\"drop_oldest\"" : "\"drop_new\"";
}
std::string text(net::identity_source v) {
  switch (v) {
    case net::identity_source::common_name:
      return "\"cn\"";
    case net::identity_source::subject_alt_name:
      return "\"san\"";
    case net::identity_source::none:
      break;
  }
  return "false";
}

// Collects the differences, in the order the reference file lists the settings.
class collector {
 public:
  explicit collector(std::vector<setting_change>& out) : out_(out) {}

  template <typename T>
  void live(std::string_view key, const T& before, const T& after) {
    add(key, before, after, true);
  }
  template <typename T>
  void restart(std::string_view key, const T& before, const T& after) {
    add(key, before, after, false);
  }
  // A secret: say that it changed, never what it is.
  void restart_secret(std::string_view key, const std::string& before, const std::string& after) {
    if (before == after) return;
    out_.push_back({std::string(key), before.empty() ? "unset" : "(hidden)",
                    after.empty() ? "unset" : "(hidden)", false});
  }

 private:
  template <typename T>
  void add(std::string_view key, const T& before, const T& after, bool is_live) {
    if (before == after) return;
    out_.push_back({std::string(key), text(before), text(after), is_live});
  }
  std::vector<setting_change>& out_;
};

void diff_settings(const config& a, const config& b, std::vector<setting_change>& out) {
  collector c(out);
  const auto& s = a.session;
  const auto& t = b.session;
  c.restart("shards", a.shards, b.shards);
  c.restart("data_dir", a.data_dir, b.data_dir);
  c.restart("sys_interval", a.sys_interval, b.sys_interval);
  // spdlog's level is an atomic and its sinks lock around a formatter swap: both change live.
  // The sink itself does not (the logger's sink list is read unlocked by every thread).
  c.live("log.level", a.log_level, b.log_level);
  c.live("log.format", a.log_output_format, b.log_output_format);
  c.restart("log.file", std::filesystem::path(a.log_file), std::filesystem::path(b.log_file));
  // The session settings are one plain struct that every shard reads without a lock.
  c.restart("limits.max_packet_size", s.max_packet_size, t.max_packet_size);
  c.restart("limits.connect_timeout", s.connect_timeout, t.connect_timeout);
  c.restart("limits.max_keep_alive", s.max_keep_alive, t.max_keep_alive);
  c.restart("limits.receive_maximum", s.receive_maximum, t.receive_maximum);
  c.restart("limits.max_inflight", s.max_inflight, t.max_inflight);
  c.restart("limits.topic_alias_maximum", s.topic_alias_maximum, t.topic_alias_maximum);
  c.restart("limits.max_topic_length", s.max_topic_length, t.max_topic_length);
  c.restart("limits.max_topic_levels", s.max_topic_levels, t.max_topic_levels);
  // Admission runs on the control thread only, where the reload runs too.
  c.live("limits.max_connections", a.max_connections, b.max_connections);
  c.live("limits.max_connection_rate", a.max_connection_rate, b.max_connection_rate);
  c.live("limits.connection_burst", a.connection_burst, b.connection_burst);
  c.restart("limits.max_memory", a.max_memory, b.max_memory);
  c.restart("limits.max_output_buffer", s.max_output_buffer, t.max_output_buffer);
  c.restart("limits.slow_consumer_timeout", s.slow_consumer_timeout, t.slow_consumer_timeout);
  c.restart("sessions.max_session_expiry", s.max_session_expiry, t.max_session_expiry);
  c.restart("sessions.max_subscriptions", s.max_subscriptions_per_session,
            t.max_subscriptions_per_session);
  c.restart("sessions.max_queued_messages", s.max_queued_messages, t.max_queued_messages);
  c.restart("sessions.max_queued_bytes", s.max_queued_bytes, t.max_queued_bytes);
  c.restart("sessions.max_queued_in_memory", s.max_queued_in_memory, t.max_queued_in_memory);
  c.restart("sessions.queue_full_policy", s.queue_policy, t.queue_policy);
  c.restart("sessions.queue_qos0_offline", s.queue_qos0_offline, t.queue_qos0_offline);
  // Read under the subscription index's lock.
  c.live("sessions.shared_subscription_strategy", a.share_strategy, b.share_strategy);
  c.restart("storage.durability", a.durability, b.durability);
  c.restart("redirect.server_reference", s.server_reference, t.server_reference);
  c.restart("redirect.permanent", s.server_moved, t.server_moved);
  // access_control swaps an immutable snapshot of both files.
  c.live("auth.password_file", a.password_file, b.password_file);
  c.live("auth.acl_file", a.acl_file, b.acl_file);
  c.restart("auth.check_threads", a.auth_check_threads, b.auth_check_threads);
  c.restart("auth.max_pending_logins", a.max_pending_logins, b.max_pending_logins);
  c.restart("admin.address", a.admin.address, b.admin.address);
  c.restart("admin.port", a.admin.port, b.admin.port);
  c.restart_secret("admin.token", a.admin.token, b.admin.token);
  c.restart("admin.metrics_auth", a.admin.metrics_auth, b.admin.metrics_auth);
}

bool same_listener(const listener_config& a, const listener_config& b) {
  return a.address == b.address && a.port == b.port && a.protocol == b.protocol;
}

// The keys of a listener's table that differ (address, port and protocol are equal).
std::vector<std::string> listener_changes(const listener_config& a, const listener_config& b) {
  std::vector<setting_change> changes;
  collector c(changes);
  c.live("max_connections", a.max_connections, b.max_connections);
  c.live("allow_anonymous", a.allow_anonymous, b.allow_anonymous);
  c.live("proxy_protocol", a.proxy_protocol, b.proxy_protocol);
  if (uses_tls(a.protocol)) {
    c.live("certfile", a.tls.certfile, b.tls.certfile);
    c.live("keyfile", a.tls.keyfile, b.tls.keyfile);
    c.live("cafile", a.tls.cafile, b.tls.cafile);
    c.live("capath", a.tls.capath, b.tls.capath);
    c.live("ciphers", a.tls.ciphers, b.tls.ciphers);
    c.live("ciphersuites", a.tls.ciphersuites, b.tls.ciphersuites);
    c.live("require_certificate", a.tls.require_certificate, b.tls.require_certificate);
    c.live("use_identity_as_username", a.tls.use_identity_as_username,
           b.tls.use_identity_as_username);
  } else {
    c.live("use_identity_as_username", a.identity_from_proxy, b.identity_from_proxy);
  }
  if (uses_websocket(a.protocol)) c.live("path", a.websocket.path, b.websocket.path);
  std::vector<std::string> keys;
  for (auto& change : changes) keys.push_back(std::move(change.key));
  return keys;
}

void diff_listeners(const config& a, const config& b, config_diff& out) {
  for (const auto& old : a.listeners) {
    const auto it = std::find_if(b.listeners.begin(), b.listeners.end(),
                                 [&](const auto& l) { return same_listener(old, l); });
    if (it == b.listeners.end()) {
      out.removed.push_back(old);
      continue;
    }
    if (auto keys = listener_changes(old, *it); !keys.empty()) {
      out.updated.push_back({old, *it, std::move(keys)});
    }
  }
  for (const auto& next : b.listeners) {
    const bool known = std::any_of(a.listeners.begin(), a.listeners.end(),
                                   [&](const auto& l) { return same_listener(next, l); });
    if (!known) out.added.push_back(next);
  }
}

}  // namespace

bool config_diff::changed(std::string_view key) const noexcept {
  return std::any_of(settings.begin(), settings.end(),
                     [&](const setting_change& c) { return c.key == key; });
}

config_diff diff_configs(const config& before, const config& after) {
  config_diff out;
  diff_settings(before, after, out.settings);
  diff_listeners(before, after, out);
  return out;
}

const char* protocol_name(listener_protocol p) noexcept {
  switch (p) {
    case listener_protocol::mqtt:
      return "mqtt";
    case listener_protocol::mqtts:
      return "mqtts";
    case listener_protocol::ws:
      return "ws";
    case listener_protocol::wss:
      return "wss";
  }
  return "mqtt";
}

std::string describe(const listener_config& l) {
  if (l.address.find(':') != std::string::npos) {
    return fmt::format("{} [{}]:{}", protocol_name(l.protocol), l.address, l.port);
  }
  return fmt::format("{} {}:{}", protocol_name(l.protocol), l.address, l.port);
}

}  // namespace tern::app
