#pragma once
// The Prometheus /metrics page: a broker_stats snapshot in text exposition format 0.0.4.
// Metric names start with "tern_"; counters end in "_total".
//
// Thread: any.

#include <string>

#include "admin/broker_stats.hpp"

namespace tern::admin {

std::string render_metrics(const broker_stats& stats);

}  // namespace tern::admin
