#pragma once
// Conversions between the generator's clock and seconds as doubles.

#include <chrono>

#include "client.hpp"

namespace tern::bench {

inline bench_clock::duration seconds(double s) {
  return std::chrono::duration_cast<bench_clock::duration>(std::chrono::duration<double>(s));
}

inline double elapsed_s(bench_clock::time_point from, bench_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace tern::bench
