// tern-bench: an MQTT load generator in the spirit of emqtt-bench. See options.hpp for the knobs
// and runner.hpp (publish/subscribe scenarios), conns_runner.hpp and retained_runner.hpp for how a
// run proceeds.

#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "conns_runner.hpp"
#include "file_limit.hpp"
#include "options.hpp"
#include "report.hpp"
#include "retained_runner.hpp"
#include "runner.hpp"

namespace {

tern::bench::run_results run_scenario(const tern::bench::bench_options& options) {
  using namespace tern::bench;
  switch (options.scenario) {
    case scenario_kind::conns:
      return conns_runner(options).run();
    case scenario_kind::retained:
      return retained_runner(options).run();
    default:
      return runner(options).run();
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern::bench;
  const auto parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const bench_options& options = *parsed.options;
  try {
    raise_open_file_limit();  // one descriptor per connection
    const run_results results = run_scenario(options);
    if (options.json) {
      print_json_report(stdout, options, results);
    } else {
      print_text_report(stdout, options, results);
    }
    std::fflush(stdout);
    return results.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "tern-bench: {}\n", e.what());
    return 1;
  }
}
