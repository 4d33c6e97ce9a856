#pragma once
// What SIGHUP and POST /api/v1/reload do: read the files again and apply what can change while
// clients stay connected.
//
// Model. `running_` is the configuration in force. A reload re-reads the TLS certificates and
// the password and ACL files (always, as without -c), and with -c builds the configuration
// again exactly as at start (file, then command line), diffs it against `running_`
// (config_diff) and applies the live part: log level and format, listeners opened, closed and
// changed in place, the admission limits, the auth file paths, the shared-subscription
// strategy. Every other change is logged as waiting for a restart and left out of `running_`,
// so the next reload says so again. A file that does not load changes nothing; a listener
// that cannot bind, or auth files that cannot be read, stay out of `running_` so the next
// reload tries again.
//
// Thread: the control context (main thread), where the listeners, the signal handler, the
// admin API and the file watcher run. Shard threads only see what is published to them safely:
// the anonymous-by-endpoint table and the auth snapshot (atomic swaps), the subscription
// strategy (under the index's lock). Admission limits are read on the control thread only.

#include <cstddef>

#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/config_diff.hpp"
#include "app/file_watcher.hpp"
#include "auth/access_control.hpp"
#include "net/admission.hpp"
#include "net/server.hpp"

namespace tern::app {

// The admission limits `c` asks for; an unset broker-wide limit follows the descriptors.
net::admission_settings admission_of(const config& c, std::size_t descriptors);

class config_reloader {
 public:
  struct parts {
    net::server& server;
    auth::access_control& access;
    file_watcher& watcher;
    std::size_t tls_watch = 0;   // the watcher's entry for the TLS listeners' files
    std::size_t auth_watch = 0;  // ... and for the password and ACL files
    std::size_t descriptors = 0;
  };

  // `running`: the configuration Tern started with, as build_config() made it.
  config_reloader(cli_options options, config running, parts p);

  void reload();

  // The files the watcher should follow for `c`.
  static std::vector<std::filesystem::path> tls_paths(const config& c);
  static std::vector<std::filesystem::path> auth_paths(const config& c);

 private:
  void close_and_update_listeners(const config_diff& diff, config& applied);
  void open_listeners(const config_diff& diff, config& applied);
  void switch_auth_files(const config_diff& diff, const config& next, config& applied);
  void apply_settings(const config_diff& diff, const config& next, config& applied);

  cli_options options_;
  config running_;
  parts parts_;
};

}  // namespace tern::app
