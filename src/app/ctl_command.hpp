#pragma once
// `tern ctl`: settles where the admin API is and which credentials to present, sends the one
// request the command maps to, and prints the answer.
//
// Endpoint: --host/--port, else [admin] address/port of the configuration given with -c (a
// wildcard address means this host's loopback). Credentials: --user (HTTP Basic, password from
// TERN_ADMIN_PASSWORD or asked for), else the first bearer token of --token, TERN_ADMIN_TOKEN
// and admin.token. The token is never printed.

#include "app/cli.hpp"

namespace tern::app {

// Returns the exit code: 0 on a 2xx answer (body on stdout), 1 on an error answer or when no
// answer came (reason on stderr), 2 on a configuration error or when no port is known.
int run_ctl(const ctl_options& options);

}  // namespace tern::app
