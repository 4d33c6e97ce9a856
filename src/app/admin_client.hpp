#pragma once
// `tern ctl`'s HTTP/1.1 client (Boost.Beast): one request on one connection, then close. The
// whole exchange (name lookup, connect, write, read) shares one deadline, so a broker that
// accepts but never answers cannot hang a script.
//
// Thread: the caller's; it runs its own io_context and returns when the exchange has ended.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "app/ctl_request.hpp"

namespace tern::app {

struct admin_endpoint {
  std::string host;  // IP address or name
  std::uint16_t port = 0;
};

struct admin_response {
  unsigned status = 0;
  std::string body;
};

// No answer: the message names the endpoint and what failed (lookup, connect, timeout, ...).
class admin_call_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "host:port", with brackets around an IPv6 address.
std::string describe(const admin_endpoint& endpoint);

// `authorization` is the Authorization header value; empty: none is sent. Throws
// admin_call_error; any status the server answers is returned.
admin_response call_admin(const admin_endpoint& endpoint, const api_request& request,
                          const std::string& authorization, std::chrono::milliseconds timeout);

}  // namespace tern::app
