#pragma once
// Broker configuration: built-in defaults, overridden by a TOML file, overridden by the command
// line. Every value is checked when loaded; an error names the file, line and key.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "app/logging.hpp"
#include "net/tls_settings.hpp"
#include "net/websocket_settings.hpp"
#include "protocol/settings.hpp"

namespace tern::app {

// What a listener speaks: MQTT over TCP, TLS, WebSocket, or WebSocket over TLS.
enum class listener_protocol : std::uint8_t { mqtt, mqtts, ws, wss };

constexpr bool uses_tls(listener_protocol p) noexcept {
  return p == listener_protocol::mqtts || p == listener_protocol::wss;
}
constexpr bool uses_websocket(listener_protocol p) noexcept {
  return p == listener_protocol::ws || p == listener_protocol::wss;
}

struct listener_config {
  std::string address;
  std::uint16_t port = 1883;
  bool optional = false;            // a built-in default that may be unavailable (IPv6 loopback)
  std::size_t max_connections = 0;  // on this listener; 0 = only the broker-wide limit
  listener_protocol protocol = listener_protocol::mqtt;
  net::tls_settings tls;  // used when protocol is mqtts or wss; paths are absolute after loading
  net::websocket_settings websocket;  // used when protocol is ws or wss
  // Clients without credentials may connect. Unset: only on a loopback address.
  std::optional<bool> allow_anonymous;
  // Behind a load balancer: every connection starts with a PROXY protocol header (v1 or v2).
  bool proxy_protocol = false;
  // On a PROXY listener without TLS: the username is the client certificate CN the balancer
  // verified (use_identity_as_username = "cn").
  bool identity_from_proxy = false;
};

// The HTTP endpoint for /metrics and the admin API ([admin]); off without a port.
struct admin_config {
  std::string address = "127.0.0.1";
  std::optional<std::uint16_t> port;
  std::string token;          // bearer token for the API; empty: Basic auth only
  bool metrics_auth = false;  // /metrics needs credentials too
};

struct config {
  std::size_t shards = 0;  // 0 = one per core
  std::filesystem::path data_dir = "data";
  // How far a QoS 1/2 message is written before it is acknowledged: "fsync" (survives power
  // loss), "os" (survives a crash of Tern, not of the machine) or "memory" (no store at all).
  std::string durability = "fsync";
  std::string log_level = "info";
  log_format log_output_format = log_format::text;
  std::string log_file;                    // empty: stderr
  std::vector<listener_config> listeners;  // empty until defaults are applied
  protocol::session_settings session;
  // Shared subscriptions: "round_robin", "random" or "hash_publisher".
  std::string share_strategy = "round_robin";
  // Broker-wide connection limit; unset = the file descriptor limit minus a reserve, 0 = none.
  std::optional<std::size_t> max_connections;
  // New connections per second and source address (0 = off), and the burst allowed at once.
  double max_connection_rate = 0;
  double connection_burst = 20;
  // Unset = half the physical memory; 0 = no ceiling. Resolved into session.max_memory.
  std::optional<std::size_t> max_memory;
  // Mosquitto-format password and ACL files; empty: not used. Checked when loaded.
  std::filesystem::path password_file;
  std::filesystem::path acl_file;
  // Threads that run password checks, and how many checks may wait or run at once.
  std::size_t auth_check_threads = 1;
  std::size_t max_pending_logins = 32;
  // How often $SYS topics are refreshed; 0 = no $SYS topics.
  std::chrono::milliseconds sys_interval{10'000};
  admin_config admin;
};

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a TOML file over the defaults in `into`. Throws config_error. A TLS listener's files are
// opened and checked (certificate, key matching it, CAs, cipher lists) while loading.
void load_config_file(const std::filesystem::path& file, config& into);
// The same for TOML text; `name` stands for the file in error messages, and relative TLS paths
// start at the working directory. Throws config_error.
void load_config_text(std::string_view text, std::string_view name, config& into);

// Listeners used when the configuration names none: loopback only, IPv4 and IPv6.
std::vector<listener_config> default_listeners();

}  // namespace tern::app
