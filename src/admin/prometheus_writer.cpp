#include "admin/prometheus_writer.hpp"

#include <fmt/format.h>

#include <cmath>

namespace tern::admin {

namespace {

std::string_view type_name(metric_type type) {
  switch (type) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void prometheus_writer::family(std::string_view name, metric_type type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

void prometheus_writer::labels(std::initializer_list<label> labels) {
  if (labels.size() == 0) return;
  out_ += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    append_escaped(out_, value, true);
    out_ += '"';
  }
  out_ += '}';
}

void prometheus_writer::sample(std::string_view name, std::initializer_list<label> labels,
                               double value) {
  out_ += name;
  this->labels(labels);
  out_ += ' ';
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    out_ += fmt::format("{}", value);
  }
  out_ += '\n';
}

void prometheus_writer::sample(std::string_view name, std::initializer_list<label> labels,
                               std::uint64_t value) {
  out_ += name;
  this->labels(labels);
  out_ += ' ';
  out_ += fmt::format("{}", value);
  out_ += '\n';
}

}  // namespace tern::admin
