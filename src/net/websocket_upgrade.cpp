#include "net/websocket_upgrade.hpp"

#include <fmt/format.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <string_view>

namespace tern::net {

namespace http = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether any Sec-WebSocket-Protocol header lists `wanted` (the header is a comma-separated list
// and may be repeated).
bool offers(const http::request<http::string_body>& request, std::string_view wanted) {
  const auto [first, last] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto it = first; it != last; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    while (!list.empty()) {
      const auto comma = list.find(',');
      if (trim(list.substr(0, comma)) == wanted) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

upgrade_verdict refuse(http::status status, std::string reason) {
  return {status, {}, std::move(reason)};
}

}  // namespace

upgrade_verdict judge_upgrade(const http::request<http::string_body>& request,
                              const websocket_settings& settings) {
  std::string_view target(request.target().data(), request.target().size());
  target = target.substr(0, target.find('?'));
  if (target != settings.path) {
    return refuse(
        http::status::not_found,
        fmt::format("path '{}' is not the MQTT endpoint (use '{}')", target, settings.path));
  }
  if (request.method() != http::verb::get) {
    return refuse(http::status::bad_request,
                  fmt::format("method {} cannot upgrade (use GET)",
                              std::string_view(request.method_string().data(),
                                               request.method_string().size())));
  }
  if (!boost::beast::websocket::is_upgrade(request)) {
    return refuse(http::status::upgrade_required, "not a WebSocket upgrade request");
  }
  // [MQTT-6.0.0-3], [MQTT-6.0.0-4]: the client offers "mqtt" and the server selects it; "mqttv3.1"
  // is what MQTT 3.1 clients offered.
  for (const std::string_view name : {"mqtt", "mqttv3.1"}) {
    if (offers(request, name)) return {http::status::ok, std::string(name), {}};
  }
  return refuse(http::status::bad_request,
                "no MQTT subprotocol offered (Sec-WebSocket-Protocol must list \"mqtt\")");
}

http::response<http::string_body> refusal_response(const upgrade_verdict& verdict,
                                                   unsigned http_version) {
  http::response<http::string_body> response{verdict.status, http_version};
  response.set(http::field::server, "tern");
  response.set(http::field::content_type, "text/plain");
  response.set(http::field::connection, "close");
  if (verdict.status == http::status::upgrade_required) {
    response.set(http::field::upgrade, "websocket");
  }
  response.body() = verdict.reason + "\n";
  response.prepare_payload();
  return response;
}

}  // namespace tern::net
