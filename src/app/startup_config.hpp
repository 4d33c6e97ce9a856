#pragma once
// The configuration Tern runs with: defaults, overridden by the file (-c), overridden by the
// command line. Built the same way at start and at every reload, so command-line overrides
// keep their precedence over an edited file.

#include "app/cli.hpp"
#include "app/config.hpp"
#include "net/server.hpp"

namespace tern::app {

// Throws config_error (naming file, line and key) for an unusable file.
config build_config(const cli_options& options);

// What the network server opens for one configured listener. Throws config_error for an
// address that is not an IP address (the loader has refused those already).
net::listen_endpoint endpoint_of(const listener_config& l);
std::vector<net::listen_endpoint> endpoints_of(const config& c);

}  // namespace tern::app
