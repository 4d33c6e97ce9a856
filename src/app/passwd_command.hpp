#pragma once
// `tern passwd`: adds, updates or deletes a user in a password file, keeping every other line.

#include "app/cli.hpp"

namespace tern::app {

// Returns the process exit code; messages go to stderr.
int run_passwd(const passwd_options& options);

}  // namespace tern::app
