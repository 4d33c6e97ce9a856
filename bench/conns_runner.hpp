#pragma once
// The conns scenario: N idle connections. Connects them with --connect-concurrency handshakes in
// flight (the connect rate), lets the broker settle for --warmup, holds them for --duration with
// keep-alive, then disconnects. With --broker-pid it samples the broker's resident memory before,
// right after connecting, after the settle and at the end of the hold.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"
#include "cpu_usage.hpp"
#include "options.hpp"
#include "results.hpp"

namespace tern::bench {

class conns_runner final : public client_events {
 public:
  explicit conns_runner(const bench_options& options);
  conns_runner(const conns_runner&) = delete;
  conns_runner& operator=(const conns_runner&) = delete;

  run_results run();

  void on_ready(client& c) override;
  void on_message(client& c, const codec::publish& message, bench_clock::time_point now) override;
  void on_acknowledged(client&, ack_kind, bench_clock::time_point,
                       bench_clock::time_point) override {}
  void on_capacity(client&) override {}
  void on_error(client& c, client_error kind, std::string_view detail) override;
  void on_closed(client& c) override;

 private:
  enum class phase : std::uint8_t { connecting, settling, holding, closing };

  void start_more_clients();
  void all_connected();
  void begin_holding();
  void finish();
  void tick();
  std::optional<std::uint64_t> broker_rss() const;
  void record_error(std::string_view who, std::string_view detail);

  const bench_options& options_;
  boost::asio::io_context io_;  // declared before everything holding I/O objects
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer phase_timer_;
  std::vector<std::unique_ptr<client>> clients_;

  phase phase_ = phase::connecting;
  std::size_t started_ = 0;
  std::size_t ready_ = 0;
  std::size_t closed_ = 0;

  run_results results_;
  connect_summary connect_;
  std::uint64_t errors_printed_ = 0;
  bench_clock::time_point run_start_{};
  bench_clock::time_point next_tick_{};
  cpu_sample cpu_start_{};
  cpu_sample hold_start_{};
  std::optional<double> broker_cpu_before_;  // at the first connect, with --broker-pid
};

}  // namespace tern::bench
