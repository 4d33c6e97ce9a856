#include "app/config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <toml++/toml.h>
#include "auth/acl_file.hpp"
#include "auth/password_file.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <optional>

#include "net/tls_context.hpp"

namespace tern::app {

namespace {

// Knows where it is in the file so that every error names file, line and key.
class reader {
 public:
  explicit reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const toml::node& node, std::string_view key, std::string_view why) const {
    const auto line = node.source().begin.line;
    throw config_error(fmt::format("{}:{}: {}: {}", file_, line, key, why));
  }

  void reject_unknown(const toml::table& table, std::string_view prefix,
                      std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : table) {
      bool found = false;
      for (auto k : known) found = found || key.str() == k;
      if (!found) fail(value, fmt::format("{}{}", prefix, key.str()), "unknown setting");
    }
  }

  template <typename Int>
  std::optional<Int> integer(const toml::table& table, std::string_view key, std::string_view path,
                             std::int64_t min, std::int64_t max) const {
    const auto* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    // Not value<int64_t>(): toml++ converts a float node with an unchecked cast, undefined
    // for values like 1e64 (found by the config fuzzer).
    if (!node->is_integer()) fail(*node, path, "expected an integer");
    const auto value = node->value_exact<std::int64_t>();
    if (!value) fail(*node, path, "expected an integer");
    if (*value < min || *value > max) {
      fail(*node, path, fmt::format("must be between {} and {}", min, max));
    }
    return static_cast<Int>(*value);
  }

  // An integer or a floating-point number.
  std::optional<double> number(const toml::table& table, std::string_view key,
                               std::string_view path, double min, double max) const {
    const auto* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_number()) fail(*node, path, "expected a number");
    const double value = node->is_integer() ? static_cast<double>(*node->value<std::int64_t>())
                                            : *node->value<double>();
    if (!(value >= min && value <= max)) {  // NaN fails too
      fail(*node, path, fmt::format("must be between {} and {}", min, max));
    }
    return value;
  }

  std::optional<std::string> string(const toml::table& table, std::string_view key,
                                    std::string_view path) const {
    const auto* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) fail(*node, path, "expected a string");
    return node->value<std::string>();
  }

  std::optional<bool> boolean(const toml::table& table, std::string_view key,
                              std::string_view path) const {
    const auto* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) fail(*node, path, "expected true or false");
    return node->value<bool>();
  }

  // An integer number of seconds, or a string such as "500ms", "10s", "2m", "3h", "14d".
  std::optional<std::chrono::milliseconds> duration(
      const toml::table& table, std::string_view key, std::string_view path,
      std::chrono::seconds max = std::chrono::seconds(86'400)) const {
    const auto* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    const std::int64_t max_ms = max.count() * 1000;
    if (node->is_integer()) {
      const auto seconds = *node->value<std::int64_t>();
      if (seconds < 0 || seconds > max.count()) {
        fail(*node, path, fmt::format("must be between 0 and {} seconds", max.count()));
      }
      return std::chrono::seconds(seconds);
    }
    if (!node->is_string()) fail(*node, path, "expected seconds or a duration like \"500ms\"");
    const auto text = *node->value<std::string>();
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    std::int64_t factor = 0;
    if (unit == "ms") factor = 1;
    if (unit == "s") factor = 1000;
    if (unit == "m") factor = 60'000;
    if (unit == "h") factor = 3'600'000;
    if (unit == "d") factor = 86'400'000;
    if (ec != std::errc{} || factor == 0 || number < 0 || number > max_ms / factor) {
      fail(*node, path,
           fmt::format("'{}' is not a duration (ms, s, m, h or d, up to {} s)", text, max.count()));
    }
    return std::chrono::milliseconds(number * factor);
  }

  const toml::table* table(const toml::table& parent, std::string_view key) const {
    const auto* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(*node, key, "expected a table");
    return node->as_table();
  }

 private:
  std::string file_;
};

bool is_ip_address(const std::string& text) {
  in6_addr buffer{};
  return ::inet_pton(AF_INET, text.c_str(), &buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), &buffer) == 1;
}

void read_log(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "log.", {"level", "format", "file"});
  if (auto format = r.string(t, "format", "log.format")) {
    if (*format == "text") {
      c.log_output_format = log_format::text;
    } else if (*format == "json") {
      c.log_output_format = log_format::json;
    } else {
      r.fail(*t.get("format"), "log.format", "must be \"text\" or \"json\"");
    }
  }
  if (auto file = r.string(t, "file", "log.file")) {
    if (file->empty()) r.fail(*t.get("file"), "log.file", "must not be empty (omit it for stderr)");
    c.log_file = *file;
  }
  if (auto level = r.string(t, "level", "log.level")) {
    static constexpr std::array<std::string_view, 7> k_levels{"trace", "debug",    "info", "warn",
                                                              "error", "critical", "off"};
    bool known = false;
    for (auto l : k_levels) known = known || *level == l;
    if (!known) {
      r.fail(*t.get("level"), "log.level",
             "must be one of trace, debug, info, warn, error, critical, off");
    }
    c.log_level = *level;
  }
}

// The limits that protect the broker as a whole (see docs/configuration.md, "Overload").
void read_overload_limits(const reader& r, const toml::table& t, config& c) {
  auto& s = c.session;
  if (auto v =
          r.integer<std::size_t>(t, "max_topic_length", "limits.max_topic_length", 1, 65'535)) {
    s.max_topic_length = *v;
  }
  if (auto v =
          r.integer<std::size_t>(t, "max_topic_levels", "limits.max_topic_levels", 1, 65'535)) {
    s.max_topic_levels = *v;
  }
  if (auto v =
          r.integer<std::size_t>(t, "max_connections", "limits.max_connections", 0, 100'000'000)) {
    c.max_connections = *v;
  }
  if (auto v = r.number(t, "max_connection_rate", "limits.max_connection_rate", 0, 1e6)) {
    c.max_connection_rate = *v;
  }
  if (auto v = r.number(t, "connection_burst", "limits.connection_burst", 1, 1e6)) {
    c.connection_burst = *v;
  }
  if (auto v =
          r.integer<std::size_t>(t, "max_memory", "limits.max_memory", 0, std::int64_t{1} << 50)) {
    if (*v != 0 && *v < (1u << 20))
      r.fail(*t.get("max_memory"), "limits.max_memory", "must be 0 or at least 1048576");
    c.max_memory = *v;
  }
  if (auto v = r.integer<std::size_t>(t, "max_output_buffer", "limits.max_output_buffer", 4096,
                                      std::int64_t{1} << 32)) {
    s.max_output_buffer = *v;
  }
  if (auto v = r.duration(t, "slow_consumer_timeout", "limits.slow_consumer_timeout")) {
    s.slow_consumer_timeout = *v;
  }
}

void read_limits(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "limits.",
                   {"max_packet_size", "connect_timeout", "max_keep_alive", "receive_maximum",
                    "max_inflight", "topic_alias_maximum", "max_topic_length", "max_topic_levels",
                    "max_connections", "max_connection_rate", "connection_burst", "max_memory",
                    "max_output_buffer", "slow_consumer_timeout"});
  read_overload_limits(r, t, c);
  auto& s = c.session;
  if (auto v = r.integer<std::uint32_t>(t, "max_packet_size", "limits.max_packet_size", 64,
                                        codec::k_max_packet_size)) {
    s.max_packet_size = *v;
  }
  if (auto v = r.duration(t, "connect_timeout", "limits.connect_timeout")) {
    if (v->count() == 0) r.fail(*t.get("connect_timeout"), "limits.connect_timeout", "must be > 0");
    s.connect_timeout = *v;
  }
  if (auto v = r.integer<std::uint16_t>(t, "max_keep_alive", "limits.max_keep_alive", 1, 65'535)) {
    s.max_keep_alive = *v;
  }
  if (auto v =
          r.integer<std::uint16_t>(t, "receive_maximum", "limits.receive_maximum", 1, 65'535)) {
    s.receive_maximum = *v;
  }
  if (auto v = r.integer<std::uint16_t>(t, "max_inflight", "limits.max_inflight", 1, 65'535)) {
    s.max_inflight = *v;
  }
  if (auto v = r.integer<std::uint16_t>(t, "topic_alias_maximum", "limits.topic_alias_maximum", 0,
                                        65'535)) {
    s.topic_alias_maximum = *v;
  }
}

void read_sessions(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "sessions.",
                   {"max_session_expiry", "max_queued_messages", "max_queued_bytes",
                    "max_queued_in_memory", "queue_full_policy", "queue_qos0_offline",
                    "shared_subscription_strategy", "max_subscriptions"});
  auto& s = c.session;
  if (auto v =
          r.string(t, "shared_subscription_strategy", "sessions.shared_subscription_strategy")) {
    if (*v != "round_robin" && *v != "random" && *v != "hash_publisher") {
      r.fail(*t.get("shared_subscription_strategy"), "sessions.shared_subscription_strategy",
             "must be \"round_robin\", \"random\" or \"hash_publisher\"");
    }
    c.share_strategy = *v;
  }
  if (auto v = r.integer<std::size_t>(t, "max_subscriptions", "sessions.max_subscriptions", 1,
                                      10'000'000)) {
    s.max_subscriptions_per_session = *v;
  }
  if (auto v = r.duration(t, "max_session_expiry", "sessions.max_session_expiry",
                          std::chrono::seconds(0xFFFF'FFFE))) {
    s.max_session_expiry =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(*v).count());
  }
  if (auto v = r.integer<std::size_t>(t, "max_queued_messages", "sessions.max_queued_messages", 1,
                                      100'000'000)) {
    s.max_queued_messages = *v;
  }
  if (auto v = r.integer<std::size_t>(t, "max_queued_bytes", "sessions.max_queued_bytes", 1024,
                                      std::int64_t{1} << 40)) {
    s.max_queued_bytes = *v;
  }
  if (auto v = r.integer<std::size_t>(t, "max_queued_in_memory", "sessions.max_queued_in_memory", 1,
                                      100'000'000)) {
    s.max_queued_in_memory = *v;
  }
  if (auto v = r.string(t, "queue_full_policy", "sessions.queue_full_policy")) {
    if (*v == "drop_new") {
      s.queue_policy = protocol::queue_full_policy::drop_new;
    } else if (*v == "drop_oldest") {
      s.queue_policy = protocol::queue_full_policy::drop_oldest;
    } else {
      r.fail(*t.get("queue_full_policy"), "sessions.queue_full_policy",
             "must be \"drop_new\" or \"drop_oldest\"");
    }
  }
  if (auto v = r.boolean(t, "queue_qos0_offline", "sessions.queue_qos0_offline")) {
    s.queue_qos0_offline = *v;
  }
}

void read_storage(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "storage.", {"durability"});
  if (auto v = r.string(t, "durability", "storage.durability")) {
    if (*v != "fsync" && *v != "os" && *v != "memory") {
      r.fail(*t.get("durability"), "storage.durability", "must be \"fsync\", \"os\" or \"memory\"");
    }
    c.durability = *v;
  }
}

void read_redirect(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "redirect.", {"server_reference", "permanent"});
  if (auto v = r.string(t, "server_reference", "redirect.server_reference")) {
    if (v->empty()) r.fail(*t.get("server_reference"), "redirect.server_reference", "is empty");
    c.session.server_reference = *v;
  }
  if (auto v = r.boolean(t, "permanent", "redirect.permanent")) c.session.server_moved = *v;
}

void read_auth(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "auth.",
                   {"password_file", "acl_file", "check_threads", "max_pending_logins"});
  if (auto v = r.integer<std::size_t>(t, "check_threads", "auth.check_threads", 1, 64)) {
    c.auth_check_threads = *v;
  }
  if (auto v =
          r.integer<std::size_t>(t, "max_pending_logins", "auth.max_pending_logins", 1, 100'000)) {
    c.max_pending_logins = *v;
  }
  // Loaded once here so that a damaged file stops the start with its line number.
  if (auto v = r.string(t, "password_file", "auth.password_file")) {
    try {
      (void)auth::password_file::load(*v);
    } catch (const auth::load_error& e) {
      r.fail(*t.get("password_file"), "auth.password_file", e.what());
    }
    c.password_file = *v;
  }
  if (auto v = r.string(t, "acl_file", "auth.acl_file")) {
    try {
      (void)auth::acl_file::load(*v);
    } catch (const auth::load_error& e) {
      r.fail(*t.get("acl_file"), "auth.acl_file", e.what());
    }
    c.acl_file = *v;
  }
}

// Relative paths in the file start at the file's directory, so a configuration and its
// certificates can move together.
std::filesystem::path resolve(const std::filesystem::path& base, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : base / p;
}

constexpr std::array<std::string_view, 8> k_tls_keys{"certfile",
                                                     "keyfile",
                                                     "cafile",
                                                     "capath",
                                                     "ciphers",
                                                     "ciphersuites",
                                                     "require_certificate",
                                                     "use_identity_as_username"};

net::identity_source read_identity_source(const reader& r, const toml::table& t,
                                          const std::string& path) {
  const auto* node = t.get("use_identity_as_username");
  if (node == nullptr) return net::identity_source::none;
  const auto key = path + ".use_identity_as_username";
  if (node->is_boolean()) {
    if (!*node->value<bool>()) return net::identity_source::none;
    r.fail(*node, key, "use \"cn\" (common name), \"san\" (subject alternative name) or false");
  }
  const auto value = node->value<std::string>();
  if (value == "cn") return net::identity_source::common_name;
  if (value == "san") return net::identity_source::subject_alt_name;
  r.fail(*node, key, "must be \"cn\", \"san\" or false");
}

void read_tls(const reader& r, const toml::table& t, const std::string& path,
              const std::filesystem::path& base, listener_config& l) {
  auto& tls = l.tls;
  const auto file = [&](std::string_view key) -> std::filesystem::path {
    const auto value = r.string(t, key, fmt::format("{}.{}", path, key));
    if (!value) return {};
    if (value->empty()) r.fail(*t.get(key), fmt::format("{}.{}", path, key), "is empty");
    return resolve(base, *value);
  };
  tls.certfile = file("certfile");
  tls.keyfile = file("keyfile");
  tls.cafile = file("cafile");
  tls.capath = file("capath");
  tls.ciphers = r.string(t, "ciphers", path + ".ciphers").value_or("");
  tls.ciphersuites = r.string(t, "ciphersuites", path + ".ciphersuites").value_or("");
  tls.require_certificate =
      r.boolean(t, "require_certificate", path + ".require_certificate").value_or(false);
  tls.use_identity_as_username = read_identity_source(r, t, path);

  for (const auto* key : {"certfile", "keyfile"}) {
    if (t.get(key) == nullptr) {
      r.fail(t, fmt::format("{}.{}", path, key), "is required for protocols \"mqtts\" and \"wss\"");
    }
  }
  if (tls.require_certificate && tls.cafile.empty() && tls.capath.empty()) {
    r.fail(*t.get("require_certificate"), path + ".require_certificate",
           "needs cafile or capath to verify client certificates with");
  }
  if (tls.use_identity_as_username != net::identity_source::none && !tls.require_certificate) {
    r.fail(*t.get("use_identity_as_username"), path + ".use_identity_as_username",
           "needs require_certificate = true (a client without a certificate has no identity)");
  }
  try {
    net::make_tls_profile(tls);
  } catch (const net::tls_setup_error& e) {
    const auto* node = t.get(e.setting());
    r.fail(node != nullptr ? *node : static_cast<const toml::node&>(t),
           fmt::format("{}.{}", path, e.setting()), e.what());
  }
}

std::uint16_t default_port(listener_protocol p) {
  switch (p) {
    case listener_protocol::mqtt:
      return 1883;
    case listener_protocol::mqtts:
      return 8883;
    case listener_protocol::ws:
      return 8080;
    case listener_protocol::wss:
      return 8081;
  }
  return 1883;
}

void read_listeners(const reader& r, const toml::node& node, const std::filesystem::path& base,
                    config& c) {
  const auto* array = node.as_array();
  if (array == nullptr) r.fail(node, "listeners", "expected [[listeners]] tables");
  std::vector<listener_config> listeners;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& item = *array->get(i);
    const auto path = fmt::format("listeners[{}]", i);
    const auto* t = item.as_table();
    if (t == nullptr) r.fail(item, path, "expected a table");
    for (const auto& [key, value] : *t) {
      bool known = key.str() == "address" || key.str() == "port" || key.str() == "protocol" ||
                   key.str() == "allow_anonymous" || key.str() == "max_connections" ||
                   key.str() == "path" || key.str() == "proxy_protocol";
      for (auto k : k_tls_keys) known = known || key.str() == k;
      if (!known) r.fail(value, fmt::format("{}.{}", path, key.str()), "unknown setting");
    }
    listener_config l;
    l.address = r.string(*t, "address", path + ".address").value_or("127.0.0.1");
    if (!is_ip_address(l.address)) {
      r.fail(*t->get("address"), path + ".address",
             fmt::format("'{}' is not an IPv4 or IPv6 address", l.address));
    }
    l.max_connections =
        r.integer<std::size_t>(*t, "max_connections", path + ".max_connections", 0, 100'000'000)
            .value_or(0);
    if (auto protocol = r.string(*t, "protocol", path + ".protocol")) {
      if (*protocol == "mqtts") {
        l.protocol = listener_protocol::mqtts;
      } else if (*protocol == "ws") {
        l.protocol = listener_protocol::ws;
      } else if (*protocol == "wss") {
        l.protocol = listener_protocol::wss;
      } else if (*protocol != "mqtt") {
        r.fail(*t->get("protocol"), path + ".protocol",
               fmt::format("'{}' is not supported; use \"mqtt\", \"mqtts\", \"ws\" or \"wss\"",
                           *protocol));
      }
    }
    l.port = r.integer<std::uint16_t>(*t, "port", path + ".port", 0, 65'535)
                 .value_or(default_port(l.protocol));
    l.proxy_protocol = r.boolean(*t, "proxy_protocol", path + ".proxy_protocol").value_or(false);
    if (uses_tls(l.protocol)) {
      read_tls(r, *t, path, base, l);
    } else {
      if (l.proxy_protocol && t->get("use_identity_as_username") != nullptr) {
        // TLS ends at the balancer, which names the verified client certificate in the header.
        const auto source = read_identity_source(r, *t, path);
        if (source == net::identity_source::subject_alt_name) {
          r.fail(*t->get("use_identity_as_username"), path + ".use_identity_as_username",
                 "a PROXY protocol header carries the certificate's CN only: use \"cn\" or false");
        }
        l.identity_from_proxy = source == net::identity_source::common_name;
      }
      for (auto k : k_tls_keys) {
        if (l.proxy_protocol && std::string_view(k) == "use_identity_as_username") continue;
        if (const auto* n = t->get(k)) {
          r.fail(*n, fmt::format("{}.{}", path, k),
                 "only applies to protocols \"mqtts\" and \"wss\"");
        }
      }
    }
    if (auto ws_path = r.string(*t, "path", path + ".path")) {
      if (!uses_websocket(l.protocol)) {
        r.fail(*t->get("path"), path + ".path", "only applies to protocols \"ws\" and \"wss\"");
      }
      if (ws_path->empty() || ws_path->front() != '/' ||
          ws_path->find_first_of("? \t#") != std::string::npos) {
        r.fail(*t->get("path"), path + ".path",
               "must start with '/' and hold no spaces, '?' or '#' (e.g. \"/mqtt\")");
      }
      l.websocket.path = *ws_path;
    }
    l.allow_anonymous = r.boolean(*t, "allow_anonymous", path + ".allow_anonymous");
    listeners.push_back(std::move(l));
  }
  c.listeners = std::move(listeners);
}

void read_admin(const reader& r, const toml::table& t, config& c) {
  r.reject_unknown(t, "admin.", {"address", "port", "token", "metrics_auth"});
  if (auto v = r.string(t, "address", "admin.address")) {
    if (!is_ip_address(*v)) {
      r.fail(*t.get("address"), "admin.address",
             fmt::format("'{}' is not an IPv4 or IPv6 address", *v));
    }
    c.admin.address = *v;
  }
  c.admin.port = r.integer<std::uint16_t>(t, "port", "admin.port", 1, 65'535);
  if (auto v = r.string(t, "token", "admin.token")) {
    // A short token is guessable; the API can disconnect clients and publish.
    if (v->size() < 16) r.fail(*t.get("token"), "admin.token", "must be at least 16 characters");
    c.admin.token = *v;
  }
  if (auto v = r.boolean(t, "metrics_auth", "admin.metrics_auth")) c.admin.metrics_auth = *v;
}

// `base` is where relative TLS paths start: the file's directory, or the working directory for
// text without a file.
void apply(const toml::table& root, const std::string& name, const std::filesystem::path& base,
           config& into) {
  const reader r(name);
  r.reject_unknown(root, "",
                   {"shards", "data_dir", "log", "limits", "sessions", "storage", "redirect",
                    "listeners", "auth", "sys_interval", "admin"});
  if (auto v = r.integer<std::size_t>(root, "shards", "shards", 0, 256)) into.shards = *v;
  if (auto v = r.string(root, "data_dir", "data_dir")) into.data_dir = *v;
  if (const auto* t = r.table(root, "log")) read_log(r, *t, into);
  if (const auto* t = r.table(root, "limits")) read_limits(r, *t, into);
  if (const auto* t = r.table(root, "sessions")) read_sessions(r, *t, into);
  if (const auto* t = r.table(root, "storage")) read_storage(r, *t, into);
  if (const auto* t = r.table(root, "redirect")) read_redirect(r, *t, into);
  if (const auto* node = root.get("listeners")) {
    read_listeners(r, *node, base, into);
  }
  if (const auto* t = r.table(root, "auth")) read_auth(r, *t, into);
  if (auto v = r.duration(root, "sys_interval", "sys_interval")) {
    if (v->count() != 0 && *v < std::chrono::seconds(1)) {
      r.fail(*root.get("sys_interval"), "sys_interval", "must be 0 (off) or at least 1 second");
    }
    into.sys_interval = *v;
  }
  if (const auto* t = r.table(root, "admin")) read_admin(r, *t, into);
}

}  // namespace

std::vector<listener_config> default_listeners() {
  listener_config v4;
  v4.address = "127.0.0.1";
  listener_config v6;
  v6.address = "::1";
  v6.optional = true;
  return {v4, v6};
}

void load_config_file(const std::filesystem::path& file, config& into) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    if (e.source().begin.line == 0) {
      throw config_error(fmt::format("{}: cannot read: {}", file.string(), e.description()));
    }
    throw config_error(
        fmt::format("{}:{}: {}", file.string(), e.source().begin.line, e.description()));
  }
  apply(root, file.string(), std::filesystem::absolute(file).parent_path(), into);
}

void load_config_text(std::string_view text, std::string_view name, config& into) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    throw config_error(fmt::format("{}:{}: {}", name, e.source().begin.line, e.description()));
  }
  apply(root, std::string(name), std::filesystem::current_path(), into);
}

}  // namespace tern::app
