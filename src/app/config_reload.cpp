#include "app/config_reload.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "app/logging.hpp"
#include "app/resource_limits.hpp"
#include "app/startup_config.hpp"
#include "core/subscription_index.hpp"

namespace tern::app {

namespace {

core::share_strategy strategy_of(const std::string& name) {
  if (name == "random") return core::share_strategy::random;
  if (name == "hash_publisher") return core::share_strategy::hash_publisher;
  return core::share_strategy::round_robin;
}

bool same_listener(const listener_config& a, const listener_config& b) {
  return a.address == b.address && a.port == b.port && a.protocol == b.protocol;
}

void erase_listener(std::vector<listener_config>& list, const listener_config& l) {
  std::erase_if(list, [&](const listener_config& x) { return same_listener(x, l); });
}

std::string joined(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

net::admission_settings admission_of(const config& c, std::size_t descriptors) {
  net::admission_settings s;
  s.max_connections = c.max_connections.value_or(default_max_connections(descriptors));
  s.connection_rate = c.max_connection_rate;
  s.connection_burst = c.connection_burst;
  return s;
}

config_reloader::config_reloader(cli_options options, config running, parts p)
    : options_(std::move(options)), running_(std::move(running)), parts_(p) {}

std::vector<std::filesystem::path> config_reloader::tls_paths(const config& c) {
  std::vector<std::filesystem::path> out;
  for (const auto& l : c.listeners) {
    if (!uses_tls(l.protocol)) continue;
    for (auto& p : l.tls.watched_paths()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::filesystem::path> config_reloader::auth_paths(const config& c) {
  std::vector<std::filesystem::path> out;
  for (const auto& f : {c.password_file, c.acl_file}) {
    if (!f.empty()) out.push_back(f);
  }
  return out;
}

void config_reloader::reload() {
  std::optional<config> next;
  if (options_.config_file) {
    try {
      next = build_config(options_);
    } catch (const std::exception& e) {
      // The loader's message names file, line and key.
      spdlog::error("reload: {}; the configuration stays as it was", e.what());
    }
  }
  config_diff diff;
  if (next) diff = diff_configs(running_, *next);
  // What actually runs after this reload: live changes that took effect, nothing else.
  config applied = running_;

  // Closed and changed listeners first: a listener replaced by another protocol on the same
  // port frees it before the new one binds; changed TLS settings are read by reload_tls().
  if (next) close_and_update_listeners(diff, applied);
  parts_.server.reload_tls();
  if (next) open_listeners(diff, applied);

  spdlog::info("reloading the password and ACL files");
  if (next && (diff.changed("auth.password_file") || diff.changed("auth.acl_file"))) {
    switch_auth_files(diff, *next, applied);
  } else {
    parts_.access.reload();
  }
  if (next) apply_settings(diff, *next, applied);

  parts_.watcher.set_paths(parts_.tls_watch, tls_paths(applied));
  parts_.watcher.set_paths(parts_.auth_watch, auth_paths(applied));
  running_ = std::move(applied);
  if (next && diff.empty()) {
    spdlog::info("reload: the configuration in {} is unchanged", *options_.config_file);
  }
}

void config_reloader::close_and_update_listeners(const config_diff& diff, config& applied) {
  for (const auto& l : diff.removed) {
    parts_.server.close_listener(endpoint_of(l));
    spdlog::info("reload: listener {} removed: no new connections there; connected clients stay",
                 describe(l));
    erase_listener(applied.listeners, l);
  }
  for (const auto& u : diff.updated) {
    parts_.server.update_listener(endpoint_of(u.after));
    spdlog::info("reload: listener {} changed ({}): new connections use the new settings",
                 describe(u.after), joined(u.settings));
    std::replace_if(
        applied.listeners.begin(), applied.listeners.end(),
        [&](const listener_config& x) { return same_listener(x, u.after); }, u.after);
  }
}

void config_reloader::open_listeners(const config_diff& diff, config& applied) {
  for (const auto& l : diff.added) {
    try {
      parts_.server.open_listener(endpoint_of(l));
      spdlog::info("reload: listener {} added", describe(l));
      applied.listeners.push_back(l);
    } catch (const std::exception& e) {
      // Left out of the running configuration: the next reload tries again.
      spdlog::error("reload: cannot open listener {}: {}; the rest of the reload applies",
                    describe(l), e.what());
    }
  }
}

void config_reloader::switch_auth_files(const config_diff& diff, const config& next,
                                        config& applied) {
  // On failure access_control logged why, and the previous files stay in force.
  if (!parts_.access.set_files(auth::auth_files{next.password_file, next.acl_file})) return;
  applied.password_file = next.password_file;
  applied.acl_file = next.acl_file;
  for (const auto& change : diff.settings) {
    if (change.key.starts_with("auth.") && change.live) {
      spdlog::info("reload: {} changed ({} -> {}): applied", change.key, change.before,
                   change.after);
    }
  }
}

void config_reloader::apply_settings(const config_diff& diff, const config& next, config& applied) {
  for (const auto& change : diff.settings) {
    if (!change.live) {
      spdlog::warn("reload: {} changed ({} -> {}): takes effect after a restart", change.key,
                   change.before, change.after);
      continue;
    }
    if (change.key.starts_with("auth.")) continue;  // switch_auth_files() says what happened
    spdlog::info("reload: {} changed ({} -> {}): applied", change.key, change.before, change.after);
  }
  if (diff.changed("log.format")) {
    process_log::set_format(next.log_output_format);
    applied.log_output_format = next.log_output_format;
  }
  if (diff.changed("log.level")) {
    process_log::set_level(next.log_level);
    applied.log_level = next.log_level;
  }
  if (diff.changed("limits.max_connections") || diff.changed("limits.max_connection_rate") ||
      diff.changed("limits.connection_burst")) {
    applied.max_connections = next.max_connections;
    applied.max_connection_rate = next.max_connection_rate;
    applied.connection_burst = next.connection_burst;
    parts_.server.gate().update(admission_of(applied, parts_.descriptors));
  }
  if (diff.changed("sessions.shared_subscription_strategy")) {
    parts_.server.shared().subscriptions.set_strategy(strategy_of(next.share_strategy));
    applied.share_strategy = next.share_strategy;
  }
}

}  // namespace tern::app
