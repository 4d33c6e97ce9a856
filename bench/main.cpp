// tern-bench: an MQTT load generator in the spirit of emqtt-bench. See options.hpp for the knobs
// and runner.hpp for how a run proceeds.

#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

int main(int argc, char** argv) {
  using namespace tern::bench;
  const auto parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const bench_options& options = *parsed.options;
  try {
    runner r(options);
    const run_results results = r.run();
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
