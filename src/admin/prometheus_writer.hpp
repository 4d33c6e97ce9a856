#pragma once
// Writes the Prometheus text exposition format 0.0.4: per metric family one "# HELP" and one
// "# TYPE" line, then its samples as `name{label="value",...} number`. Label values and help
// texts are escaped as the format requires (backslash, double quote in labels, newline).
//
// Thread: any; one writer per response.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tern::admin {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

using label = std::pair<std::string_view, std::string_view>;

class prometheus_writer {
 public:
  // Starts a metric family. Counter names end in "_total" by convention (the caller's choice).
  void family(std::string_view name, metric_type type, std::string_view help);
  // One sample. `name` is the family's, or for histograms its _bucket/_sum/_count series.
  void sample(std::string_view name, std::initializer_list<label> labels, double value);
  void sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  void sample(std::string_view name, std::uint64_t value) { sample(name, {}, value); }

  const std::string& text() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

  static constexpr std::string_view k_content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void labels(std::initializer_list<label> labels);
  std::string out_;
};

}  // namespace tern::admin
