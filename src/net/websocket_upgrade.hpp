#pragma once
// The decision on a client's HTTP upgrade request, before Beast answers it: the right path, a
// WebSocket upgrade, and an MQTT subprotocol ("mqtt"; "mqttv3.1" as older clients send it). A
// request failing a check gets the HTTP status that names the problem and the connection closes.
//
// Pure function of the request: no I/O, unit-tested on its own.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "net/websocket_settings.hpp"

namespace tern::net {

struct upgrade_verdict {
  // ok: accept and answer with `subprotocol`; otherwise the status to answer with.
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string subprotocol;
  std::string reason;  // for the log and the response body
  bool accepted() const noexcept { return status == boost::beast::http::status::ok; }
};

upgrade_verdict judge_upgrade(
    const boost::beast::http::request<boost::beast::http::string_body>& request,
    const websocket_settings& settings);

// The response refusing an upgrade: the status, the reason as text, "Connection: close" and, for
// 426, the "Upgrade: websocket" header the status requires.
boost::beast::http::response<boost::beast::http::string_body> refusal_response(
    const upgrade_verdict& verdict, unsigned http_version);

}  // namespace tern::net
