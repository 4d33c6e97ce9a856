#pragma once
// What a WebSocket listener ("ws", "wss") checks in a client's HTTP upgrade request.

#include <cstddef>
#include <memory>
#include <string>

namespace tern::net {

struct websocket_settings {
  std::string path = "/mqtt";  // the request target that upgrades; any query string is ignored
  // The whole upgrade request (request line and headers); a larger one is answered 431.
  std::size_t max_request_size = 8 * 1024;
};
using websocket_settings_ptr = std::shared_ptr<const websocket_settings>;

}  // namespace tern::net
