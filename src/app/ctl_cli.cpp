#include "app/ctl_cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace tern::app {

namespace {

constexpr const char* k_footer =
    R"(Credentials: --user NAME (HTTP Basic; password from TERN_ADMIN_PASSWORD or asked for),
else a bearer token from --token, TERN_ADMIN_TOKEN or the configuration's admin.token.
Exit codes: 0 success, 1 error answer or no connection, 2 usage or configuration error.)";

std::string positional_help(const std::string& name) {
  if (name == "SEARCH") return "Text to look for (all without it)";
  if (name == "CLIENT_ID") return "Client identifier";
  if (name == "FILTER") return "Topic filter; + and # are wildcards";
  if (name == "TOPIC") return "Topic name";
  if (name == "PAYLOAD") return "Message text (\"\" for an empty message)";
  return {};
}

}  // namespace

ctl_cli::ctl_cli(CLI::App& parent) {
  ctl_ = parent.add_subcommand(
      "ctl", "Query and manage a running broker through its admin HTTP API ([admin] port)");
  ctl_->require_subcommand(1);
  ctl_->footer(k_footer);
  ctl_->add_option("-c,--config", options_.config_file,
                   "The broker's TOML configuration: [admin] address, port and token")
      ->check(CLI::ExistingFile);
  ctl_->add_option("--host", options_.host,
                   "Admin API address (default: admin.address of the configuration, else "
                   "127.0.0.1)");
  ctl_->add_option("--port", options_.port, "Admin API port (default: admin.port)")
      ->check(CLI::Range(1, 65535));
  ctl_->add_option("--token", options_.token,
                   "Bearer token (default: $TERN_ADMIN_TOKEN, else admin.token); visible to "
                   "other local users in the process list, prefer the variable");
  ctl_->add_option("--user", options_.user,
                   "HTTP Basic user of the password file; the password comes from "
                   "$TERN_ADMIN_PASSWORD or is asked for")
      ->excludes("--token");
  ctl_->add_option("--timeout", options_.timeout_seconds,
                   "Seconds to wait for the whole exchange (default 10)")
      ->check(CLI::Range(0.001, 3600.0));

  add(*ctl_, "health", "health", "Is the broker answering (GET /api/v1/health)", {});
  add(*ctl_, "ready", "ready", "Can the store write (GET /api/v1/ready; exit 1 while not)", {});
  add(*ctl_, "clients", "clients",
      "Connected clients, optionally only those whose identifier, username or address contains "
      "SEARCH",
      {{"SEARCH", false}});
  add(*ctl_, "disconnect", "disconnect",
      "Disconnect a client (MQTT 5 clients get DISCONNECT 0x98); its session stays",
      {{"CLIENT_ID", true}});
  add(*ctl_, "subscriptions", "subscriptions", "Every subscription of every session", {});

  auto& retained = add(*ctl_, "retained", "retained",
                       "Retained messages matching FILTER (default '#'); or one of the commands "
                       "below",
                       {{"FILTER", false}});
  retained.app->require_subcommand(0, 1);
  add(*retained.app, "retained list", "list", "Retained messages matching FILTER (default '#')",
      {{"FILTER", false}});
  add(*retained.app, "retained get", "get", "The retained message of TOPIC", {{"TOPIC", true}});
  add(*retained.app, "retained delete", "delete", "Clear the retained message of TOPIC",
      {{"TOPIC", true}});

  auto& sessions = add(*ctl_, "sessions", "sessions",
                       "Sessions (connected or not), optionally only those whose identifier "
                       "contains SEARCH; or one of the commands below",
                       {{"SEARCH", false}});
  sessions.app->require_subcommand(0, 1);
  add(*sessions.app, "sessions list", "list", "Sessions whose identifier contains SEARCH",
      {{"SEARCH", false}});
  add(*sessions.app, "sessions delete", "delete",
      "Remove a session with its subscriptions and queued messages (a connected client is "
      "disconnected first)",
      {{"CLIENT_ID", true}});

  auto& publish = add(*ctl_, "publish", "publish", "Publish a message as the broker",
                      {{"TOPIC", true}, {"PAYLOAD", true}});
  publish.app->add_option("-q,--qos", options_.command.qos, "QoS 0, 1 or 2 (default 0)")
      ->check(CLI::Range(0, 2));
  publish.app->add_flag("-r,--retain", options_.command.retain, "Retain the message");

  add(*ctl_, "reload", "reload",
      "Reload the password and ACL files and TLS certificates (what SIGHUP does)", {});
}

ctl_cli::command& ctl_cli::add(CLI::App& under, std::string name, std::string word,
                               std::string description,
                               std::vector<std::pair<std::string, bool>> positionals) {
  auto& c = commands_.emplace_back();
  c.name = std::move(name);
  c.app = under.add_subcommand(std::move(word), std::move(description));
  // Connection options may also follow the command: `tern ctl clients --port 8080`.
  c.app->fallthrough();
  c.values.resize(positionals.size());  // no reallocation after CLI11 took the addresses
  for (std::size_t i = 0; i < positionals.size(); ++i) {
    auto* option =
        c.app->add_option(positionals[i].first, c.values[i], positional_help(positionals[i].first));
    if (positionals[i].second) option->required();
  }
  return c;
}

bool ctl_cli::parsed() const {
  return ctl_->parsed();
}

ctl_options ctl_cli::result() const {
  // The deepest command given: "retained get" rather than "retained", which is parsed with it.
  const command* chosen = nullptr;
  for (const auto& c : commands_) {
    if (!c.app->parsed()) continue;
    if (chosen == nullptr || std::count(c.name.begin(), c.name.end(), ' ') >
                                 std::count(chosen->name.begin(), chosen->name.end(), ' ')) {
      chosen = &c;
    }
  }
  ctl_options out = options_;
  if (chosen != nullptr) {
    out.command.name = chosen->name;
    out.command.args = chosen->values;
  }
  return out;
}

}  // namespace tern::app
