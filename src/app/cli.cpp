#include "app/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/version.hpp"

namespace tern::app {

cli_result parse_cli(int argc, char** argv) {
  CLI::App app{"Tern: an MQTT 3.1, 3.1.1 and 5.0 broker", "tern"};
  app.set_version_flag("--version", std::string("tern ") + k_version);
  cli_options options;
  app.add_option("-c,--config", options.config_file, "TOML configuration file")
      ->check(CLI::ExistingFile);
  app.add_option("-p,--port", options.port, "Port of every MQTT listener (default 1883)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--data-dir", options.data_dir, "Directory for persistent state");
  app.add_flag("-v,--verbose", options.verbosity, "More logging: -v debug, -vv trace");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "tern: error: {} (see tern --help)\n", e.what());
    return {std::nullopt, 2};
  }
  return {options, 0};
}

}  // namespace tern::app
