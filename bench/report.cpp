#include "report.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The retained scenario's phases have their own lengths; the others count over the window.
double published_per_s(const run_results& r) {
  if (r.retained) return per_second(r.retained->messages, r.retained->publish_s);
  return per_second(r.published, r.measured_s);
}

double delivered_per_s(const run_results& r) {
  if (r.retained) return per_second(r.retained->received, r.retained->delivery_s);
  return per_second(r.delivered, r.measured_s);
}

std::string json_optional(const std::optional<std::uint64_t>& v) {
  return v ? std::to_string(*v) : "null";
}

std::string format_mib(const std::optional<std::uint64_t>& bytes) {
  return bytes ? fmt::format("{:.1f} MiB", static_cast<double>(*bytes) / 1048576.0) : "n/a";
}

// Broker memory per connection between two samples, if both exist.
std::optional<double> bytes_per_connection(const connect_summary& c,
                                           const std::optional<std::uint64_t>& after) {
  if (!c.rss_before || !after || c.connections == 0) return std::nullopt;
  return (static_cast<double>(*after) - static_cast<double>(*c.rss_before)) /
         static_cast<double>(c.connections);
}

std::string json_number(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}", finite(*v)) : "null";
}

// The broker's CPU microseconds per connection established, if measured.
std::optional<double> broker_us_per_connection(const connect_summary& c) {
  if (!c.broker_cpu_s || c.connections == 0) return std::nullopt;
  return *c.broker_cpu_s * 1e6 / static_cast<double>(c.connections);
}

std::string json_connect(const connect_summary& c) {
  return fmt::format(
      "{{\"connections\":{},\"seconds\":{:.3f},\"per_s\":{:.1f},\"rss_before\":{},"
      "\"rss_connected\":{},\"rss_settled\":{},\"rss_end\":{},"
      "\"bytes_per_connection\":{},\"bytes_per_connection_unsettled\":{},"
      "\"broker_cpu_s\":{},\"broker_cpu_us_per_connection\":{}}}",
      c.connections, finite(c.seconds), finite(per_second(c.connections, c.seconds)),
      json_optional(c.rss_before), json_optional(c.rss_connected), json_optional(c.rss_settled),
      json_optional(c.rss_end), json_number(bytes_per_connection(c, c.rss_settled)),
      json_number(bytes_per_connection(c, c.rss_connected)),
      c.broker_cpu_s ? fmt::format("{:.3f}", finite(*c.broker_cpu_s)) : "null",
      json_number(broker_us_per_connection(c)));
}

std::string json_subscribe(const subscribe_summary& s) {
  return fmt::format("{{\"subscriptions\":{},\"seconds\":{:.3f},\"per_s\":{:.1f}}}",
                     s.subscriptions, finite(s.seconds),
                     finite(per_second(s.subscriptions, s.seconds)));
}

std::string json_retained(const retained_summary& t) {
  return fmt::format(
      "{{\"messages\":{},\"publish_s\":{:.3f},\"publish_per_s\":{:.1f},\"subscribers\":{},"
      "\"received\":{},\"delivery_s\":{:.3f},\"delivery_per_s\":{:.1f}}}",
      t.messages, finite(t.publish_s), finite(per_second(t.messages, t.publish_s)), t.subscribers,
      t.received, finite(t.delivery_s), finite(per_second(t.received, t.delivery_s)));
}

std::string json_cdf(const std::vector<cdf_point>& points) {
  std::string s = "[";
  for (const auto& p : points) {
    if (s.size() > 1) s += ',';
    s += fmt::format("[{:g},{:.1f}]", p.percentile, finite(p.us));
  }
  return s + "]";
}

void print_errors(std::FILE* out, const run_results& r) {
  fmt::print(out, "  errors      {} (connect failures {}, disconnects {}, protocol errors {})\n",
             r.errors(), r.connect_failures, r.disconnects, r.protocol_errors);
}

void print_conns_report(std::FILE* out, const bench_options& o, const run_results& r) {
  const auto& c = *r.connect;
  fmt::print(out, "tern-bench conns: {} idle connections, MQTT {}, {} handshakes at once\n",
             o.clients, mqtt_name(o), o.connect_concurrency);
  if (r.aborted) fmt::print(out, "  ABORTED     {}\n", r.abort_reason);
  fmt::print(out, "  connected   {} in {:.2f} s ({:.0f} CONNACKs/s)\n", c.connections, c.seconds,
             per_second(c.connections, c.seconds));
  if (o.broker_pid) {
    fmt::print(out, "  broker RSS  before {}  connected {}  settled {}  end {}\n",
               format_mib(c.rss_before), format_mib(c.rss_connected), format_mib(c.rss_settled),
               format_mib(c.rss_end));
    const auto settled = bytes_per_connection(c, c.rss_settled);
    fmt::print(out, "  per conn    {} after {:g} s settling\n",
               settled ? fmt::format("{:.0f} bytes", *settled) : "n/a", o.warmup_s);
    const auto cpu = broker_us_per_connection(c);
    fmt::print(
        out, "  broker CPU  {} while connecting\n",
        cpu ? fmt::format("{:.2f} s, {:.1f} us per connection", *c.broker_cpu_s, *cpu) : "n/a");
  }
  fmt::print(out, "  held        {:.2f} s\n", r.measured_s);
  print_errors(out, r);
  fmt::print(out, "  generator   CPU {:.0f}% of one core while connecting\n", r.cpu.percent());
}

void print_retained_report(std::FILE* out, const bench_options& o, const run_results& r) {
  const auto& t = *r.retained;
  fmt::print(out, "tern-bench retained: {} retained messages -> {} subscriber(s), MQTT {}, {} B\n",
             o.clients, o.subscribers, mqtt_name(o), o.size);
  if (r.aborted) fmt::print(out, "  ABORTED     {}\n", r.abort_reason);
  fmt::print(out, "  published   {} retained (QoS 1) in {:.2f} s ({:.0f} msgs/s)\n", t.messages,
             t.publish_s, per_second(t.messages, t.publish_s));
  fmt::print(out, "  delivered   {} of {} in {:.2f} s ({:.0f} msgs/s)\n", t.received,
             std::uint64_t{o.clients} * o.subscribers, t.delivery_s,
             per_second(t.received, t.delivery_s));
  fmt::print(out, "  integrity   lost {}  duplicated {}\n", r.lost, r.duplicated);
  print_errors(out, r);
  fmt::print(out, "  generator   CPU {:.0f}% of one core\n", r.cpu.percent());
}

}  // namespace

void print_text_report(std::FILE* out, const bench_options& o, const run_results& r) {
  if (r.connect) return print_conns_report(out, o, r);
  if (r.retained) return print_retained_report(out, o, r);
  fmt::print(out,
             "tern-bench {}: {} publisher(s) -> {} {}subscriber(s), MQTT {}, QoS {}, {} B, {}\n",
             to_string(o.scenario), r.publishers, r.subscribers, o.persistent ? "persistent " : "",
             mqtt_name(o), o.qos, o.size, loop_description(o));
  if (r.aborted) fmt::print(out, "  ABORTED     {}\n", r.abort_reason);
  if (r.subscribe) {
    fmt::print(out,
               "  subscribed  {} filters in {:.2f} s ({:.0f} subscriptions/s), {} per SUBSCRIBE\n",
               r.subscribe->subscriptions, r.subscribe->seconds,
               per_second(r.subscribe->subscriptions, r.subscribe->seconds), o.subscribe_batch);
  }
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
  print_errors(out, r);
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
                   finite(published_per_s(r)), finite(delivered_per_s(r)));
  s += fmt::format("\"latency_us\":{},", json_latency(r.latency));
  s += fmt::format("\"latency_cdf\":{},", json_cdf(r.latency_cdf));
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
  s += fmt::format("\"subscribe\":{},", r.subscribe ? json_subscribe(*r.subscribe) : "null");
  s += fmt::format("\"connect\":{},", r.connect ? json_connect(*r.connect) : "null");
  s += fmt::format("\"retained\":{},", r.retained ? json_retained(*r.retained) : "null");
  s += fmt::format("\"aborted\":{},", r.aborted ? "true" : "false");
  if (r.aborted) s += fmt::format("\"abort_reason\":{},", json_string(r.abort_reason));
  s += fmt::format("\"ok\":{}}}", r.ok() ? "true" : "false");
  fmt::print(out, "{}\n", s);
}

}  // namespace tern::bench
