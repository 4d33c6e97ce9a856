#pragma once
// The command line of `tern ctl`: its connection options and one CLI11 subcommand per command
// ("retained get" is `get` under `retained`), so `tern ctl retained --help` documents itself and
// a wrong command or a missing argument is a usage error like any other.

#include <list>
#include <string>
#include <utility>
#include <vector>

#include "app/cli.hpp"

namespace CLI {
class App;
}

namespace tern::app {

class ctl_cli {
 public:
  // Adds `ctl` to `parent`; `parent` and this object must outlive the parse.
  explicit ctl_cli(CLI::App& parent);
  ctl_cli(const ctl_cli&) = delete;
  ctl_cli& operator=(const ctl_cli&) = delete;

  bool parsed() const;
  // After a successful parse that included `ctl`.
  ctl_options result() const;

 private:
  struct command {
    std::string name;  // "retained get"
    CLI::App* app = nullptr;
    std::vector<std::string> values;  // one per positional, bound by CLI11
  };
  command& add(CLI::App& under, std::string name, std::string word, std::string description,
               std::vector<std::pair<std::string, bool>> positionals);

  CLI::App* ctl_ = nullptr;
  ctl_options options_;
  std::list<command> commands_;  // stable addresses: CLI11 holds pointers into them
};

}  // namespace tern::app
