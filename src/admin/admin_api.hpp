#pragma once
// The HTTP endpoints: /metrics (Prometheus) and the JSON admin API under /api/v1. Requests that
// read or change shard state are posted to the shards that own it and answered once they have
// run; broker-wide stores that lock themselves (retained messages) are read directly.
//
// Credentials: `Authorization: Bearer <token>` (admin.token) or `Basic` with a user of the
// password file. Every /api/v1 request needs them (401 otherwise); /metrics only with
// admin.metrics_auth. A Basic login that succeeded is remembered (per password file generation)
// so a scraper does not pay a password hash per request.
//
// Thread: the control thread.

#include <chrono>
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
  bool authorized(const http_request& request);
  void route_api(const http_request& request, const std::string& peer, http_reply reply);

  admin_settings settings_;
  admin_context context_;
  // Accepted Basic credentials (the header value) with the password file generation.
  std::unordered_map<std::string, std::uint64_t> basic_ok_;
};

}  // namespace tern::admin
