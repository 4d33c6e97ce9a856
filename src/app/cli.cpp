#include "app/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/ctl_cli.hpp"
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
  app.add_option("--check-config", options.check_config,
                 "Validate a configuration file and the files it names (certificates, password "
                 "and ACL files), then exit: 0 if valid, 1 with the first error otherwise")
      ->check(CLI::ExistingFile)
      ->excludes("--config");

  passwd_options passwd;
  auto* passwd_cmd = app.add_subcommand(
      "passwd", "Create or edit a password file (the format of Mosquitto's password_file)");
  passwd_cmd->add_flag("-c", passwd.create, "Create a new file, replacing an existing one");
  passwd_cmd->add_flag("-D", passwd.remove, "Delete the user");
  passwd_cmd->add_flag("-b", passwd.batch, "Take the password from the command line");
  passwd_cmd
      ->add_option("-I,--iterations", passwd.iterations,
                   "PBKDF2 iterations of the new hash (default 210000)")
      ->check(CLI::Range(1, 10'000'000));
  passwd_cmd
      ->add_option("--scram", passwd.scram,
                   "Write a SCRAM entry (keys for SCRAM-SHA-256 or -512 logins; also checks "
                   "plain passwords) instead of a $7$ hash")
      ->check(CLI::IsMember({"sha-256", "sha-512"}));
  passwd_cmd->add_option("file", passwd.file, "Password file")->required();
  passwd_cmd->add_option("username", passwd.username, "User to add, update or delete")->required();
  passwd_cmd->add_option("password", passwd.password, "Password (with -b only)");
  const ctl_cli ctl(app);
  try {
    app.parse(argc, argv);
    if (passwd_cmd->parsed()) {
      if (passwd.create && passwd.remove)
        throw CLI::ValidationError("-c and -D exclude each other");
      if (passwd.password && !passwd.batch) {
        throw CLI::ValidationError("a password on the command line needs -b");
      }
      if (passwd.batch && !passwd.password && !passwd.remove) {
        throw CLI::ValidationError("-b needs the password after the username");
      }
      options.passwd = passwd;
    }
    if (ctl.parsed()) options.ctl = ctl.result();
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "tern: error: {} (see tern {}--help)\n", e.what(),
               ctl.parsed() ? "ctl " : "");
    return {std::nullopt, 2};
  }
  return {options, 0};
}

}  // namespace tern::app
