#include "app/ctl_output.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tern::app {

namespace json = boost::json;

namespace {

// Boost 1.81's Boost.JSON has no pretty printer; scalars and keys still go through its
// serializer so escaping stays its business.
void pretty(const json::value& v, std::string& out, std::size_t indent) {
  const auto newline = [&out](std::size_t depth) {
    out += '\n';
    out.append(depth * 2, ' ');
  };
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& member : o) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      out += json::serialize(json::string_view(member.key()));
      out += ": ";
      pretty(member.value(), out, indent + 1);
    }
    newline(indent);
    out += '}';
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& element : a) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      pretty(element, out, indent + 1);
    }
    newline(indent);
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string format_body(std::string_view body) {
  boost::system::error_code ec;
  const auto parsed = json::parse(body, ec);
  std::string out;
  if (ec) {
    out = body;
    if (!out.empty() && !out.ends_with('\n')) out += '\n';
    return out;
  }
  pretty(parsed, out, 0);
  out += '\n';
  return out;
}

std::string error_reason(std::string_view body) {
  boost::system::error_code ec;
  const auto parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    if (const auto* e = parsed.get_object().if_contains("error"); e != nullptr && e->is_string()) {
      return std::string(e->get_string());
    }
  }
  std::string line(body);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  for (auto& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line.empty() ? "(empty body)" : line;
}

}  // namespace tern::app
