#include "app/ctl_request.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

namespace tern::app {

namespace {

constexpr std::string_view k_api = "/api/v1/";

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

const std::string& arg(const ctl_command& command, std::size_t i) {
  if (i >= command.args.size()) {
    throw std::invalid_argument("tern ctl " + command.name + ": missing argument");
  }
  return command.args[i];
}

// GET /api/v1/<resource>[?<key>=<first argument>]; no argument or an empty one lists all.
api_request listing(const ctl_command& command, std::string_view resource, std::string_view key) {
  std::string target = std::string(k_api) + std::string(resource);
  if (!command.args.empty() && !command.args.front().empty()) {
    target += '?';
    target += key;
    target += '=';
    target += percent_encode(command.args.front());
  }
  return {"GET", std::move(target), {}};
}

api_request on_item(std::string method, std::string_view resource, const std::string& item) {
  return {std::move(method),
          std::string(k_api) + std::string(resource) + "/" + percent_encode(item),
          {}};
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (unreserved(c)) {
      out += c;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += k_hex[byte >> 4];
    out += k_hex[byte & 0x0F];
  }
  return out;
}

api_request to_api_request(const ctl_command& command) {
  const auto& name = command.name;
  if (name == "health" || name == "ready" || name == "subscriptions") {
    return {"GET", std::string(k_api) + name, {}};
  }
  if (name == "clients") return listing(command, "clients", "search");
  if (name == "disconnect") return on_item("DELETE", "clients", arg(command, 0));
  if (name == "sessions" || name == "sessions list") return listing(command, "sessions", "search");
  if (name == "sessions delete") return on_item("DELETE", "sessions", arg(command, 0));
  if (name == "retained" || name == "retained list") return listing(command, "retained", "topic");
  if (name == "retained get") return on_item("GET", "retained", arg(command, 0));
  if (name == "retained delete") return on_item("DELETE", "retained", arg(command, 0));
  if (name == "publish") {
    const boost::json::object body{{"topic", arg(command, 0)},
                                   {"payload", arg(command, 1)},
                                   {"qos", command.qos},
                                   {"retain", command.retain}};
    return {"POST", std::string(k_api) + "publish", boost::json::serialize(body)};
  }
  if (name == "reload") return {"POST", std::string(k_api) + "reload", {}};
  throw std::invalid_argument("tern ctl: unknown command '" + name + "'");
}

}  // namespace tern::app
