#pragma once
// The retained scenario. One publisher stores N retained messages (QoS 1, each acknowledged, up to
// --inflight unacknowledged) on "<prefix>/<run tag>/<k>"; then --subscribers clients subscribe to
// "<prefix>/<run tag>/#" and each must receive all N. The run tag keeps retained messages of
// earlier runs (which stay on the broker) out of the count. Phases stop early after 2 s without
// progress; what never arrived counts as lost. Retained messages have no defined order, so none
// is checked.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"
#include "codec/packets.hpp"
#include "cpu_usage.hpp"
#include "options.hpp"
#include "results.hpp"

namespace tern::bench {

class retained_runner final : public client_events {
 public:
  explicit retained_runner(const bench_options& options);
  retained_runner(const retained_runner&) = delete;
  retained_runner& operator=(const retained_runner&) = delete;

  run_results run();

  void on_ready(client& c) override;
  void on_message(client& c, const codec::publish& message, bench_clock::time_point now) override;
  void on_acknowledged(client& c, ack_kind kind, bench_clock::time_point sent,
                       bench_clock::time_point now) override;
  void on_capacity(client& c) override;
  void on_error(client& c, client_error kind, std::string_view detail) override;
  void on_closed(client& c) override;

 private:
  enum class phase : std::uint8_t { connecting, publishing, subscribing, closing };

  struct subscriber_state {
    std::unique_ptr<client> conn;
    std::vector<bool> seen;  // by message index
    std::uint64_t received = 0;
  };

  void arm_connect_timeout();
  void pump();
  void start_subscribers();
  void start_more_subscribers();
  void finish();
  void tick();
  void record_error(std::string_view who, std::string_view detail);
  std::string topic_prefix() const;

  const bench_options& options_;
  std::uint32_t run_tag_;
  boost::asio::io_context io_;  // declared before everything holding I/O objects
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer phase_timer_;

  std::unique_ptr<client> publisher_;
  codec::packet message_;  // a codec::publish, retargeted and restamped for every send
  std::uint64_t sent_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::vector<subscriber_state> subs_;
  std::size_t started_ = 0;
  std::size_t ready_ = 0;
  std::size_t closed_ = 0;
  std::size_t total_clients_ = 1;  // the publisher, later also the subscribers
  std::uint64_t received_ = 0;     // over all subscribers, first receipts
  std::uint64_t duplicated_ = 0;

  phase phase_ = phase::connecting;
  run_results results_;
  retained_summary retained_;
  std::uint64_t errors_printed_ = 0;
  std::uint64_t progress_at_last_tick_ = 0;
  std::uint32_t idle_ticks_ = 0;
  bench_clock::time_point run_start_{};
  bench_clock::time_point next_tick_{};
  bench_clock::time_point publish_start_{};
  bench_clock::time_point last_receipt_{};
  cpu_sample cpu_start_{};
};

}  // namespace tern::bench
