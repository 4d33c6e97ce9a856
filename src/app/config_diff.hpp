#pragma once
// What changed between the running configuration and the one a reload read, sorted by what the
// running broker can do about it: apply it live, or only after a restart. Pure: no I/O, no
// logging, so every rule here is unit-tested; config_reload applies the result.
//
// Listeners are named by address, port and protocol: a listener with the same three and other
// settings is "updated" (changed in place), anything else is a removal plus an addition.

#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"

namespace tern::app {

// One setting that differs, by its key in the file ("limits.max_inflight"), with both values
// as the log shows them.
struct setting_change {
  std::string key;
  std::string before;
  std::string after;
  bool live = false;  // applied while running; otherwise it waits for a restart
};

struct listener_update {
  listener_config before;
  listener_config after;
  std::vector<std::string> settings;  // which keys differ: "allow_anonymous", "certfile", ...
};

struct config_diff {
  std::vector<setting_change> settings;  // everything but the listeners, in file order
  std::vector<listener_config> removed;
  std::vector<listener_config> added;
  std::vector<listener_update> updated;

  bool empty() const noexcept {
    return settings.empty() && removed.empty() && added.empty() && updated.empty();
  }
  // Whether `key` changed (live or not).
  bool changed(std::string_view key) const noexcept;
};

// Both configurations as build_config() makes them (defaults, file, command line).
config_diff diff_configs(const config& before, const config& after);

// "mqtt 127.0.0.1:1883", "wss [::1]:8081": how the log names a configured listener.
std::string describe(const listener_config& l);
const char* protocol_name(listener_protocol p) noexcept;

}  // namespace tern::app
