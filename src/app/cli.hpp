#pragma once
// Command line of the `tern` binary.

#include <cstdint>
#include <optional>
#include <string>

#include "app/ctl_request.hpp"

namespace tern::app {

// `tern passwd`: edits a password file, as mosquitto_passwd does.
struct passwd_options {
  std::string file;
  std::string username;
  std::optional<std::string> password;  // -b: given on the command line
  bool create = false;                  // -c: start a new file (replacing an existing one)
  bool remove = false;                  // -D: delete the user
  bool batch = false;
  std::uint32_t iterations = 0;  // 0: the default
  // --scram: a SCRAM entry ("sha-256" or "sha-512") instead of a $7$ hash.
  std::optional<std::string> scram;
};

// `tern ctl`: a client of the admin HTTP API. Where the values not given here come from is
// settled by run_ctl (environment, then the configuration file).
struct ctl_options {
  std::optional<std::string> config_file;  // the broker's configuration: [admin] address, port
  std::optional<std::string> host;
  std::optional<std::uint16_t> port;
  std::optional<std::string> token;
  std::optional<std::string> user;  // HTTP Basic with a user of the password file
  double timeout_seconds = 10;
  ctl_command command;
};

struct cli_options {
  std::optional<std::string> config_file;
  std::optional<std::uint16_t> port;
  std::optional<std::string> data_dir;
  int verbosity = 0;  // -v: debug, -vv: trace
  // --check-config FILE: validate FILE and the files it names, then exit.
  std::optional<std::string> check_config;
  std::optional<passwd_options> passwd;  // the `passwd` subcommand was given
  std::optional<ctl_options> ctl;        // the `ctl` subcommand was given
};

struct cli_result {
  std::optional<cli_options> options;  // empty: exit with exit_code (help, version, error)
  int exit_code = 0;
};

// Parses argv. Help and version print to stdout; errors print one line to stderr.
cli_result parse_cli(int argc, char** argv);

}  // namespace tern::app
