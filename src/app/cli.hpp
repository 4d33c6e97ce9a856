#pragma once
// Command line of the `tern` binary.

#include <cstdint>
#include <optional>
#include <string>

namespace tern::app {

struct cli_options {
  std::optional<std::string> config_file;
  std::optional<std::uint16_t> port;
  std::optional<std::string> data_dir;
  int verbosity = 0;  // -v: debug, -vv: trace
};

struct cli_result {
  std::optional<cli_options> options;  // empty: exit with exit_code (help, version, error)
  int exit_code = 0;
};

// Parses argv. Help and version print to stdout; errors print one line to stderr.
cli_result parse_cli(int argc, char** argv);

}  // namespace tern::app
