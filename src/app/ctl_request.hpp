#pragma once
// `tern ctl`: turns a command as typed into the admin API request that carries it out. Pure: no
// I/O, so every mapping and every escape is unit-tested.
//
// Client identifiers and topics go into one path segment each with every byte but RFC 3986's
// unreserved ones percent-encoded: the API decodes a segment before joining the path again, so
// "a/b", "a//b", "#", "+", "%" and spaces all arrive as typed.

#include <string>
#include <string_view>
#include <vector>

namespace tern::app {

// What `tern ctl` was asked to do.
struct ctl_command {
  std::string name;               // the command words: "clients", "retained get", ...
  std::vector<std::string> args;  // positional arguments after them
  int qos = 0;                    // publish only
  bool retain = false;            // publish only
};

struct api_request {
  std::string method;  // "GET", "DELETE" or "POST"
  std::string target;  // origin form, already percent-encoded
  std::string body;    // JSON for POST, empty otherwise
};

// Every byte outside A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex).
std::string percent_encode(std::string_view text);

// Throws std::invalid_argument for a name it does not know or a missing argument (the command
// line parser rules both out before).
api_request to_api_request(const ctl_command& command);

}  // namespace tern::app
