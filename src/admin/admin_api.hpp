#pragma once
// The HTTP endpoints: /metrics (Prometheus) and the JSON admin API under /api/v1. Requests that
// read or change shard state are posted to the shards that own it and answered once they have
// run; broker-wide stores that lock themselves (retained messages) are read directly.
//
// Credentials: `Authorization: Bearer <token>` (admin.token) or `Basic` with a user of the
// password file. Every /api/v1 request needs them (401 otherwise); /metrics only with
// admin.metrics_auth. A Basic password is checked on the password-check workers (never on this
// thread, which also accepts MQTT connections), and a login that succeeded is remembered (per
// password file generation) so a scraper does not pay a password hash per request. Wrong
// credentials are answered after the failed-login delay of the client's address, the same
// throttle MQTT logins go through.
//
// Thread: the control thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "admin/http_server.hpp"

namespace tern::auth {
class access_control;
}
namespace tern::net {
class server;
}

namespace tern::admin {

struct admin_settings {
  std::string token;          // bearer token; empty: none accepted
  bool metrics_auth = false;  // /metrics needs credentials too
};

struct admin_context {
  net::server& server;
  auth::access_control* access = nullptr;  // password file for Basic auth (may be null)
  std::function<void()> reload;            // what SIGHUP does
  std::chrono::steady_clock::time_point started;
};

class admin_api {
 public:
  admin_api(admin_settings settings, admin_context context);
  // The http_server handler.
  void handle(const http_request& request, const std::string& peer, http_reply reply);

 private:
  enum class verdict : std::uint8_t { allowed, refused, busy };
  // Calls `then` with the verdict on the credentials of `request`, possibly later (a password
  // check); a refusal has already waited out the failed-login delay of `peer`.
  void authorize(const http_request& request, const std::string& peer,
                 std::function<void(verdict)> then);
  // Answers a request whose credentials were not accepted.
  static void refuse(verdict why, const http_request& request, const std::string& peer,
                     const std::string& path, const http_reply& reply);
  void route_api(const http_request& request, const std::string& peer, http_reply reply);

  admin_settings settings_;
  admin_context context_;
  // Accepted Basic credentials (the header value) with the password file generation.
  std::unordered_map<std::string, std::uint64_t> basic_ok_;
};

}  // namespace tern::admin
