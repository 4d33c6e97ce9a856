#include "conns_runner.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <utility>

#include "broker_memory.hpp"
#include "durations.hpp"
#include "source_address.hpp"

namespace tern::bench {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
// Thousands of connections take longer to close than a few.
constexpr auto k_close_timeout = 5s;
constexpr std::uint64_t k_max_error_lines = 10;
// Idle connections read only CONNACK and PINGRESP; a large buffer each would dominate the
// generator's memory.
constexpr std::size_t k_idle_read_chunk = 512;
}  // namespace

conns_runner::conns_runner(const bench_options& options)
    : options_(options), io_(1), tick_timer_(io_), phase_timer_(io_) {}

run_results conns_runner::run() {
  run_start_ = bench_clock::now();
  cpu_start_ = sample_cpu();
  try {
    asio::ip::tcp::resolver resolver(io_);
    endpoint_ = resolver.resolve(options_.host, std::to_string(options_.port)).begin()->endpoint();
  } catch (const boost::system::system_error& e) {
    ++results_.connect_failures;
    results_.aborted = true;
    results_.abort_reason = fmt::format("cannot resolve {}: {}", options_.host, e.code().message());
    return results_;
  }
  const std::uint32_t tag = std::random_device{}();
  clients_.reserve(options_.clients);
  for (std::uint32_t i = 0; i < options_.clients; ++i) {
    client_settings settings;
    settings.version =
        options_.mqtt == 3 ? codec::protocol_version::v3_1_1 : codec::protocol_version::v5;
    settings.client_id = fmt::format("tb{:08x}-c{}", tag, i);
    settings.keep_alive_s = options_.keep_alive_s;
    settings.read_chunk = k_idle_read_chunk;
    settings.source_address = source_address(options_.source_addresses, tag, i);
    clients_.push_back(
        std::make_unique<client>(io_, *this, client_role::subscriber, i, std::move(settings)));
  }
  if (options_.broker_pid) {
    connect_.rss_before = broker_rss();
    broker_cpu_before_ = cpu_seconds(*options_.broker_pid);
  }

  phase_timer_.expires_after(seconds(options_.connect_timeout_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ != phase::connecting) return;
    results_.connect_failures += clients_.size() - ready_;
    results_.aborted = true;
    results_.abort_reason =
        fmt::format("{} of {} connections not ready after {} s", clients_.size() - ready_,
                    clients_.size(), options_.connect_timeout_s);
    finish();
  });
  next_tick_ = run_start_ + 1s;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
  start_more_clients();
  io_.run();

  connect_.connections = ready_;
  results_.connect = connect_;
  return results_;
}

void conns_runner::start_more_clients() {
  while (phase_ == phase::connecting && started_ < clients_.size() &&
         started_ - ready_ < options_.connect_concurrency) {
    clients_[started_++]->start(endpoint_);
  }
}

void conns_runner::on_ready(client&) {
  ++ready_;
  if (phase_ != phase::connecting) return;
  if (ready_ == clients_.size()) return all_connected();
  start_more_clients();
}

void conns_runner::all_connected() {
  const auto cpu_now = sample_cpu();
  connect_.connections = ready_;
  connect_.seconds = elapsed_s(run_start_, cpu_now.wall);
  results_.cpu = cpu_between(cpu_start_, cpu_now);  // the generator's share of the connect rate
  if (options_.broker_pid) {
    connect_.rss_connected = broker_rss();
    const auto cpu = cpu_seconds(*options_.broker_pid);
    if (cpu && broker_cpu_before_) connect_.broker_cpu_s = *cpu - *broker_cpu_before_;
  }
  phase_ = phase::settling;
  phase_timer_.cancel();  // the connect timeout
  phase_timer_.expires_after(seconds(options_.warmup_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::settling) begin_holding();
  });
}

void conns_runner::begin_holding() {
  if (options_.broker_pid) connect_.rss_settled = broker_rss();
  phase_ = phase::holding;
  hold_start_ = sample_cpu();
  results_.warmup_s = options_.warmup_s;
  phase_timer_.expires_after(seconds(options_.duration_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ != phase::holding) return;
    if (options_.broker_pid) connect_.rss_end = broker_rss();
    results_.measured_s = elapsed_s(hold_start_.wall, bench_clock::now());
    finish();
  });
}

void conns_runner::finish() {
  if (phase_ == phase::closing) return;
  phase_ = phase::closing;
  tick_timer_.cancel();
  phase_timer_.cancel();
  for (auto& c : clients_) c->disconnect();
  if (closed_ == clients_.size()) return io_.stop();
  phase_timer_.expires_after(k_close_timeout);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    for (auto& c : clients_) c->close();
    io_.stop();
  });
}

void conns_runner::on_message(client& c, const codec::publish& message, bench_clock::time_point) {
  ++results_.protocol_errors;
  record_error(c.id(), fmt::format("PUBLISH on {} to an idle connection", message.topic));
}

void conns_runner::on_error(client& c, client_error kind, std::string_view detail) {
  switch (kind) {
    case client_error::connect_failed:
      ++results_.connect_failures;
      break;
    case client_error::disconnected:
      ++results_.disconnects;
      break;
    case client_error::protocol:
      ++results_.protocol_errors;
      break;
  }
  record_error(c.id(), detail);
  if (phase_ == phase::connecting) {
    results_.aborted = true;
    results_.abort_reason = fmt::format("client {} failed while connecting: {}", c.id(), detail);
    finish();
  }
}

void conns_runner::on_closed(client&) {
  ++closed_;
  if (phase_ == phase::closing && closed_ == clients_.size()) io_.stop();
}

void conns_runner::tick() {
  const auto now = bench_clock::now();
  for (auto& c : clients_) c->keep_alive(now);
  if (!options_.quiet) {
    const auto rss = options_.broker_pid ? broker_rss() : std::nullopt;
    fmt::print(stderr, "[{:5.1f}s] {:<10} connected {}/{}  errors {}{}\n",
               elapsed_s(run_start_, now),
               phase_ == phase::connecting ? "connecting"
               : phase_ == phase::settling ? "settling"
                                           : "holding",
               ready_, clients_.size(), results_.errors(),
               rss ? fmt::format("  broker RSS {:.1f} MiB", static_cast<double>(*rss) / 1048576.0)
                   : std::string{});
  }
  next_tick_ += 1s;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

std::optional<std::uint64_t> conns_runner::broker_rss() const {
  return resident_bytes(*options_.broker_pid);
}

void conns_runner::record_error(std::string_view who, std::string_view detail) {
  if (errors_printed_ < k_max_error_lines) {
    fmt::print(stderr, "tern-bench: {}: {}\n", who, detail);
  } else if (errors_printed_ == k_max_error_lines) {
    fmt::print(stderr, "tern-bench: further errors are counted but not shown\n");
  }
  ++errors_printed_;
}

}  // namespace tern::bench
