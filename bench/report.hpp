#pragma once
// The final summary: human-readable lines, or one JSON object.

#include <cstdio>

#include "options.hpp"
#include "results.hpp"

namespace tern::bench {

void print_text_report(std::FILE* out, const bench_options& options, const run_results& results);
void print_json_report(std::FILE* out, const bench_options& options, const run_results& results);

}  // namespace tern::bench
