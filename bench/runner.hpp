#pragma once
// Runs one benchmark on a single-threaded event loop: connects every client (subscribers also
// subscribe), then drives the publishers through warm-up, the measured window and a drain, and
// collects the results. Closed loop: each publisher keeps a window of messages in flight
// end-to-end. Open loop: messages go out on a fixed schedule and latency counts from it. With
// --persistent, the subscribers' sessions are discarded at the end by connecting once more with
// their ids and a clean start.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"
#include "codec/packets.hpp"
#include "completion_window.hpp"
#include "cpu_usage.hpp"
#include "histogram.hpp"
#include "open_loop_schedule.hpp"
#include "options.hpp"
#include "results.hpp"
#include "scenario.hpp"
#include "sequence_tracker.hpp"

namespace tern::bench {

class runner final : public client_events {
 public:
  explicit runner(const bench_options& options);
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;

  run_results run();

  void on_ready(client& c) override;
  void on_message(client& c, const codec::publish& message, bench_clock::time_point now) override;
  void on_acknowledged(client& c, ack_kind kind, bench_clock::time_point sent,
                       bench_clock::time_point now) override;
  void on_capacity(client& c) override;
  void on_error(client& c, client_error kind, std::string_view detail) override;
  void on_closed(client& c) override;

 private:
  enum class phase : std::uint8_t {
    connecting,
    warmup,
    measuring,
    draining,
    closing,
    ending_sessions,  // --persistent: the subscribers' sessions are discarded
  };

  struct publisher_state {
    std::unique_ptr<client> conn;
    codec::packet message;        // a codec::publish, restamped for every send
    std::uint32_t receivers = 0;  // subscribers that get each message
    std::uint64_t sent = 0;
    std::uint64_t due = 0;     // open loop: messages scheduled so far
    completion_window window;  // closed loop
    bench_clock::time_point last_progress{};
    // manysubs: every first receipt of this publisher's messages, whichever subscriber had it.
    sequence_tracker receipts;
  };

  struct subscriber_state {
    std::unique_ptr<client> conn;
    index_range publishers;
    std::vector<sequence_tracker> streams;  // indexed by publisher - publishers.begin
    // manysubs: one past the highest sequence number seen from each publisher. A publisher's
    // numbers rise, so a lower one arriving on the same connection is out of order.
    std::vector<std::uint64_t> next_from;
  };

  void create_clients();
  client& client_at(std::size_t start_order);
  void start_more_clients();
  void start_traffic();
  void begin_measuring();
  void end_measuring();
  void poll_drain();
  bool drained() const;
  void finish();
  void all_closed();
  void end_sessions();
  void start_more_enders();
  void abort_run(std::string reason);

  void pump(std::uint32_t publisher);
  void send_message(publisher_state& pub, std::uint64_t stamp_ns);
  void pace();
  void tick();
  void check_stalls(bench_clock::time_point now);
  void print_progress(bench_clock::time_point now);
  bool publishing() const noexcept { return phase_ == phase::warmup || phase_ == phase::measuring; }
  bool in_latency_window(std::uint64_t sent_ns) const noexcept {
    return sent_ns >= latency_from_ns_ && sent_ns < latency_until_ns_;
  }
  void on_manysubs_message(subscriber_state& sub, const codec::publish& message,
                           bench_clock::time_point now);
  void count_receipt(publisher_state& pub, std::uint64_t sent_ns, std::uint64_t before,
                     std::uint64_t after, bench_clock::time_point now);
  void record_error(std::string_view who, std::string_view detail);
  run_results collect() const;
  subscribe_summary collect_subscribe() const;

  const bench_options& options_;
  scenario scenario_;
  codec::qos qos_;
  codec::protocol_version version_;

  boost::asio::io_context io_;  // declared before everything holding I/O objects
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer pace_timer_;
  std::vector<publisher_state> pubs_;
  std::vector<subscriber_state> subs_;

  phase phase_ = phase::connecting;
  std::size_t started_ = 0;
  std::size_t ready_ = 0;
  std::size_t closed_ = 0;
  std::uint32_t run_tag_;  // in every client id: no session of an earlier run is resumed
  std::mt19937_64 rng_;    // manysubs: the topic of each message

  std::vector<std::unique_ptr<client>> enders_;  // clean-start connections ending the sessions
  std::size_t enders_started_ = 0;
  std::size_t enders_closed_ = 0;

  std::optional<open_loop_schedule> schedule_;
  std::uint64_t next_global_ = 0;  // open loop: next global message index to hand out

  latency_histogram histogram_;
  latency_histogram ack_histogram_;      // PUBACK (QoS 1) or PUBREC (QoS 2)
  latency_histogram pubcomp_histogram_;  // QoS 2
  std::uint64_t latency_from_ns_ = 0;
  std::uint64_t latency_until_ns_ = ~std::uint64_t{0};

  std::uint64_t total_sent_ = 0;
  std::uint64_t expected_receipts_ = 0;  // sum over sent messages of their subscriber count
  std::uint64_t unique_receipts_ = 0;
  std::uint64_t published_window_ = 0;
  std::uint64_t delivered_window_ = 0;
  std::uint64_t interval_published_ = 0;
  std::uint64_t interval_delivered_ = 0;

  std::uint64_t connect_failures_ = 0;
  std::uint64_t disconnects_ = 0;
  std::uint64_t protocol_errors_ = 0;
  std::uint64_t manysubs_out_of_order_ = 0;
  std::uint64_t window_timeouts_ = 0;
  std::uint64_t backlog_ = 0;
  std::uint64_t errors_printed_ = 0;
  bool aborted_ = false;
  std::string abort_reason_;

  bench_clock::time_point run_start_{};
  bench_clock::time_point traffic_start_{};
  bench_clock::time_point measure_start_{};
  bench_clock::time_point measure_end_{};
  bench_clock::time_point drain_deadline_{};
  bench_clock::time_point next_tick_{};
  bool measured_ = false;
  cpu_sample cpu_start_{};
  cpu_sample cpu_end_{};
  cpu_sample last_tick_cpu_{};
};

}  // namespace tern::bench
