#include "app/ctl_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "app/admin_client.hpp"
#include "app/config.hpp"
#include "app/ctl_output.hpp"
#include "app/secret_input.hpp"
#include "auth/base64.hpp"

namespace tern::app {

namespace {

std::optional<std::string> from_environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// A listener on every address is reached on this host's loopback.
std::string connect_address(const std::string& listen_address) {
  if (listen_address == "0.0.0.0") return "127.0.0.1";
  if (listen_address == "::") return "::1";
  return listen_address;
}

// The Authorization header value; empty: none (the API answers 401). Nullopt: give up.
std::optional<std::string> authorization(const ctl_options& options, const config& c) {
  if (options.user) {
    auto password = from_environment("TERN_ADMIN_PASSWORD");
    if (!password) {
      password = read_secret(fmt::format("Password for {}: ", *options.user).c_str());
    }
    if (!password) {
      fmt::print(stderr,
                 "tern ctl: no password for {} (set TERN_ADMIN_PASSWORD or type it when asked)\n",
                 *options.user);
      return std::nullopt;
    }
    return "Basic " + auth::base64_encode(*options.user + ":" + *password);
  }
  auto token = options.token;
  if (!token) token = from_environment("TERN_ADMIN_TOKEN");
  if (!token && !c.admin.token.empty()) token = c.admin.token;
  return token ? "Bearer " + *token : std::string();
}

}  // namespace

int run_ctl(const ctl_options& options) {
  config c;
  if (options.config_file) {
    try {
      load_config_file(*options.config_file, c);
    } catch (const config_error& e) {
      fmt::print(stderr, "tern ctl: error: {}\n", e.what());
      return 2;
    }
  }
  const admin_endpoint endpoint{options.host.value_or(connect_address(c.admin.address)),
                                options.port ? *options.port : c.admin.port.value_or(0)};
  if (endpoint.port == 0) {
    fmt::print(stderr,
               "tern ctl: error: no admin API port known: pass -c with the broker's configuration "
               "(its [admin] port) or --port (see tern ctl --help)\n");
    return 2;
  }
  const auto credentials = authorization(options, c);
  if (!credentials) return 1;

  admin_response answer;
  try {
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(options.timeout_seconds));
    answer = call_admin(endpoint, to_api_request(options.command), *credentials, timeout);
  } catch (const admin_call_error& e) {
    fmt::print(stderr, "tern ctl: {}\n", e.what());
    return 1;
  }
  if (answer.status >= 200 && answer.status < 300) {
    fmt::print("{}", format_body(answer.body));
    return 0;
  }
  fmt::print(stderr, "tern ctl: HTTP {}: {}\n", answer.status, error_reason(answer.body));
  if (answer.status == 401 && credentials->empty()) {
    fmt::print(stderr,
               "tern ctl: no credentials were sent: use --token, TERN_ADMIN_TOKEN, -c with a "
               "configuration holding admin.token, or --user\n");
  }
  return 1;
}

}  // namespace tern::app
