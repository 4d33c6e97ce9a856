#include "report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <string_view>

namespace tern::bench {

namespace {

double per_second(std::uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

std::string format_us(double us) {
  if (us < 1000.0) return fmt::format("{:.0f} us", us);
  if (us < 1e6) return fmt::format("{:.2f} ms", us / 1e3);
  return fmt::format("{:.2f} s", us / 1e6);
}

std::string_view mqtt_name(const bench_options& o) {
  return o.mqtt == 3 ? "3.1.1" : "5.0";
}

std::string loop_description(const bench_options& o) {
  if (o.rate) return fmt::format("open loop, {:g} msgs/s offered", *o.rate);
  return fmt::format("closed loop, {} in flight per publisher", o.inflight);
}

// A finite number for JSON (which has no NaN or infinity).
double finite(double v) {
  return std::isfinite(v) ? v : 0.0;
}

std::string format_latency_line(const latency_summary& l) {
  return fmt::format("p50 {}  p99 {}  p99.9 {}  max {}  mean {}  ({} samples)", format_us(l.p50_us),
                     format_us(l.p99_us), format_us(l.p999_us), format_us(l.max_us),
                     format_us(l.mean_us), l.count);
}

std::string json_latency(const latency_summary& l) {
  return fmt::format(
      "{{\"count\":{},\"mean\":{:.1f},\"p50\":{:.1f},\"p99\":{:.1f},\"p999\":{:.1f},"
      "\"max\":{:.1f}}}",
      l.count, finite(l.mean_us), finite(l.p50_us), finite(l.p99_us), finite(l.p999_us),
      finite(l.max_us));
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void print_text_report(std::FILE* out, const bench_options& o, const run_results& r) {
  fmt::print(out,
             "tern-bench {}: {} publisher(s) -> {} {}subscriber(s), MQTT {}, QoS {}, {} B, {}\n",
             to_string(o.scenario), r.publishers, r.subscribers, o.persistent ? "persistent " : "",
             mqtt_name(o), o.qos, o.size, loop_description(o));
  if (r.aborted) fmt::print(out, "  ABORTED     {}\n", r.abort_reason);
  fmt::print(out, "  window      {:.2f} s after {:.2f} s warm-up\n", r.measured_s, r.warmup_s);
  fmt::print(out, "  published   {} msgs ({:.0f} msgs/s)\n", r.published,
             per_second(r.published, r.measured_s));
  fmt::print(out, "  delivered   {} msgs ({:.0f} msgs/s)\n", r.delivered,
             per_second(r.delivered, r.measured_s));
  fmt::print(out, "  latency     {}\n", format_latency_line(r.latency));
  if (o.qos == 1) fmt::print(out, "  PUBACK      {}\n", format_latency_line(r.ack_latency));
  if (o.qos == 2) {
    fmt::print(out, "  PUBREC      {}\n", format_latency_line(r.ack_latency));
    fmt::print(out, "  PUBCOMP     {}\n", format_latency_line(r.pubcomp_latency));
  }
  fmt::print(out, "  integrity   lost {}  duplicated {}  out-of-order {}\n", r.lost, r.duplicated,
             r.out_of_order);
  if (r.window_timeouts > 0) {
    fmt::print(out, "  stalls      {} closed-loop windows given up after 2 s\n", r.window_timeouts);
  }
  if (o.rate) {
    fmt::print(out, "  backlog     {} scheduled messages never sent{}\n", r.backlog,
               r.backlog > 0 ? " (offered rate not sustained)" : "");
  }
  fmt::print(out, "  errors      {} (connect failures {}, disconnects {}, protocol errors {})\n",
             r.errors(), r.connect_failures, r.disconnects, r.protocol_errors);
  const double cpu = r.cpu.percent();
  fmt::print(out, "  generator   CPU {:.0f}% of one core (user {:.2f} s, sys {:.2f} s){}\n", cpu,
             r.cpu.user_s, r.cpu.sys_s,
             cpu >= 90.0 ? "  <- the generator is probably the bottleneck" : "");
}

void print_json_report(std::FILE* out, const bench_options& o, const run_results& r) {
  std::string s = "{";
  s += fmt::format("\"scenario\":{},", json_string(to_string(o.scenario)));
  s += fmt::format("\"mqtt\":{},", json_string(mqtt_name(o)));
  s += fmt::format("\"qos\":{},\"size\":{},\"clients\":{},", o.qos, o.size, o.clients);
  s += fmt::format("\"publishers\":{},\"subscribers\":{},", r.publishers, r.subscribers);
  s += fmt::format("\"persistent\":{},", o.persistent ? "true" : "false");
  s += fmt::format("\"mode\":{},", json_string(o.rate ? "open" : "closed"));
  if (o.rate) {
    s += fmt::format("\"rate\":{},\"inflight\":null,", finite(*o.rate));
  } else {
    s += fmt::format("\"rate\":null,\"inflight\":{},", o.inflight);
  }
  s += fmt::format("\"warmup_s\":{:.3f},\"duration_s\":{:.3f},", finite(r.warmup_s),
                   finite(r.measured_s));
  s += fmt::format("\"published\":{},\"delivered\":{},", r.published, r.delivered);
  s += fmt::format("\"published_per_s\":{:.1f},\"delivered_per_s\":{:.1f},",
                   finite(per_second(r.published, r.measured_s)),
                   finite(per_second(r.delivered, r.measured_s)));
  s += fmt::format("\"latency_us\":{},", json_latency(r.latency));
  // PUBACK (QoS 1) or PUBREC (QoS 2); null where there is no such acknowledgement.
  s += fmt::format("\"ack_latency_us\":{},", o.qos > 0 ? json_latency(r.ack_latency) : "null");
  s += fmt::format("\"pubcomp_latency_us\":{},",
                   o.qos == 2 ? json_latency(r.pubcomp_latency) : "null");
  s += fmt::format("\"lost\":{},\"duplicated\":{},\"out_of_order\":{},", r.lost, r.duplicated,
                   r.out_of_order);
  s += fmt::format("\"errors\":{},\"connect_failures\":{},\"disconnects\":{},", r.errors(),
                   r.connect_failures, r.disconnects);
  s += fmt::format("\"protocol_errors\":{},\"window_timeouts\":{},\"backlog\":{},",
                   r.protocol_errors, r.window_timeouts, r.backlog);
  s += fmt::format("\"cpu\":{{\"user_s\":{:.3f},\"sys_s\":{:.3f},\"percent\":{:.1f}}},",
                   finite(r.cpu.user_s), finite(r.cpu.sys_s), finite(r.cpu.percent()));
  s += fmt::format("\"aborted\":{},", r.aborted ? "true" : "false");
  if (r.aborted) s += fmt::format("\"abort_reason\":{},", json_string(r.abort_reason));
  s += fmt::format("\"ok\":{}}}", r.ok() ? "true" : "false");
  fmt::print(out, "{}\n", s);
}

}  // namespace tern::bench
