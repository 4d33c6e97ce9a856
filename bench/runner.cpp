#include "runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <random>
#include <utility>
#include <variant>

#include "durations.hpp"
#include "payload.hpp"
#include "source_address.hpp"

namespace tern::bench {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto k_stall_timeout = 2s;  // closed loop: give up a window with no progress
constexpr auto k_close_timeout = 2s;  // wait for brokers to close after DISCONNECT
constexpr auto k_drain_poll = 10ms;
constexpr std::uint64_t k_pace_batch = 4096;  // open loop: messages handed out per wake-up
constexpr std::uint64_t k_max_error_lines = 10;
constexpr std::uint32_t k_persistent_session_expiry_s = 3600;  // MQTT 5, with --persistent

std::uint64_t to_ns(bench_clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

bench_clock::time_point from_ns(std::uint64_t ns) {
  return bench_clock::time_point(std::chrono::duration_cast<bench_clock::duration>(
      std::chrono::nanoseconds(static_cast<std::int64_t>(ns))));
}

std::string format_latency(std::uint64_t ns) {
  if (ns < 1'000'000) return fmt::format("{:.0f} us", static_cast<double>(ns) / 1e3);
  return fmt::format("{:.2f} ms", static_cast<double>(ns) / 1e6);
}

std::uint32_t random_run_tag() {
  std::random_device device;
  return device() ^ static_cast<std::uint32_t>(::getpid());
}

latency_summary summarize(const latency_histogram& h) {
  latency_summary s;
  s.count = h.count();
  s.mean_us = h.mean() / 1e3;
  s.p50_us = static_cast<double>(h.percentile(50.0)) / 1e3;
  s.p99_us = static_cast<double>(h.percentile(99.0)) / 1e3;
  s.p999_us = static_cast<double>(h.percentile(99.9)) / 1e3;
  s.max_us = static_cast<double>(h.max()) / 1e3;
  return s;
}

// Dense in the body, then ever closer to the tail, for plotting a CDF.
std::vector<cdf_point> latency_cdf(const latency_histogram& h) {
  std::vector<cdf_point> points;
  if (h.count() == 0) return points;
  const auto add = [&](double p) {
    points.push_back({p, static_cast<double>(h.percentile(p)) / 1e3});
  };
  for (int p = 1; p < 100; ++p) add(p);
  for (const double p : {99.5, 99.9, 99.95, 99.99, 99.999, 100.0}) add(p);
  return points;
}

}  // namespace

runner::runner(const bench_options& options)
    : options_(options),
      scenario_(options),
      qos_(static_cast<codec::qos>(options.qos)),
      version_(options.mqtt == 3 ? codec::protocol_version::v3_1_1 : codec::protocol_version::v5),
      io_(1),
      tick_timer_(io_),
      phase_timer_(io_),
      pace_timer_(io_),
      run_tag_(random_run_tag()),
      rng_(run_tag_) {
  if (options_.rate) schedule_.emplace(*options_.rate, scenario_.publishers());
}

// ---- setup ----

void runner::create_clients() {
  pubs_.resize(scenario_.publishers());
  for (std::uint32_t i = 0; i < scenario_.publishers(); ++i) {
    auto& pub = pubs_[i];
    client_settings settings;
    settings.version = version_;
    settings.client_id = fmt::format("tb{:08x}-p{}", run_tag_, i);
    settings.source_address =
        source_address(options_.source_addresses, run_tag_, scenario_.subscribers() + i);
    settings.keep_alive_s = options_.keep_alive_s;
    settings.publish_qos = qos_;
    pub.conn = std::make_unique<client>(io_, *this, client_role::publisher, i, std::move(settings));
    pub.receivers = scenario_.receivers_per_message(i);
    codec::publish message;
    message.topic = scenario_.topic_of(i);
    message.payload.assign(options_.size, 0);
    message.qos_level = qos_;
    pub.message = std::move(message);
    pub.window.configure(options_.inflight, pub.receivers);
  }
  subs_.resize(scenario_.subscribers());
  for (std::uint32_t i = 0; i < scenario_.subscribers(); ++i) {
    auto& sub = subs_[i];
    client_settings settings;
    settings.version = version_;
    settings.client_id = fmt::format("tb{:08x}-s{}", run_tag_, i);
    settings.source_address = source_address(options_.source_addresses, run_tag_, i);
    settings.keep_alive_s = options_.keep_alive_s;
    settings.publish_qos = qos_;
    for (auto& filter : scenario_.filters_of(i)) {
      codec::subscription subscription;
      subscription.filter = std::move(filter);
      subscription.options.max_qos = qos_;
      settings.subscriptions.push_back(std::move(subscription));
    }
    settings.subscribe_batch = options_.subscribe_batch;
    if (options_.persistent) {
      settings.clean_start = false;
      settings.session_expiry_s = k_persistent_session_expiry_s;
    }
    sub.conn =
        std::make_unique<client>(io_, *this, client_role::subscriber, i, std::move(settings));
    sub.publishers = scenario_.publishers_of(i);
    if (scenario_.random_topics()) {
      sub.next_from.resize(sub.publishers.size());
    } else {
      sub.streams.resize(sub.publishers.size());
    }
  }
}

// Subscribers first, then publishers.
client& runner::client_at(std::size_t start_order) {
  if (start_order < subs_.size()) return *subs_[start_order].conn;
  return *pubs_[start_order - subs_.size()].conn;
}

void runner::start_more_clients() {
  const std::size_t total = pubs_.size() + subs_.size();
  while (phase_ == phase::connecting && started_ < total &&
         started_ - ready_ < options_.connect_concurrency) {
    client_at(started_++).start(endpoint_);
  }
}

run_results runner::run() {
  run_start_ = bench_clock::now();
  last_tick_cpu_ = sample_cpu();
  try {
    asio::ip::tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port));
    endpoint_ = endpoints.begin()->endpoint();
  } catch (const boost::system::system_error& e) {
    ++connect_failures_;
    aborted_ = true;
    abort_reason_ = fmt::format("cannot resolve {}: {}", options_.host, e.code().message());
    return collect();
  }
  create_clients();

  phase_timer_.expires_after(seconds(options_.connect_timeout_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ != phase::connecting) return;
    std::size_t tcp = 0;
    std::size_t connack = 0;
    std::size_t suback = 0;
    for (std::size_t i = 0; i < pubs_.size() + subs_.size(); ++i) {
      switch (client_at(i).current_state()) {
        case client::state::ready:
          break;
        case client::state::handshaking:
          ++connack;
          break;
        case client::state::subscribing:
          ++suback;
          break;
        default:
          ++tcp;
          break;
      }
    }
    connect_failures_ += tcp + connack + suback;
    abort_run(fmt::format(
        "{} clients not ready after {} s ({} waiting for CONNACK, {} for SUBACK, {} other)",
        tcp + connack + suback, options_.connect_timeout_s, connack, suback, tcp));
  });
  next_tick_ = run_start_ + 1s;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
  start_more_clients();
  io_.run();
  return collect();
}

// ---- client events ----

void runner::on_ready(client& c) {
  if (phase_ == phase::ending_sessions) return c.disconnect();
  ++ready_;
  if (phase_ != phase::connecting) return;
  if (ready_ == pubs_.size() + subs_.size()) return start_traffic();
  start_more_clients();
}

void runner::on_error(client& c, client_error kind, std::string_view detail) {
  if (phase_ == phase::ending_sessions) {
    return record_error(c.id(), fmt::format("cannot end the session: {}", detail));
  }
  switch (kind) {
    case client_error::connect_failed:
      ++connect_failures_;
      break;
    case client_error::disconnected:
      ++disconnects_;
      break;
    case client_error::protocol:
      ++protocol_errors_;
      break;
  }
  record_error(c.id(), detail);
  if (phase_ == phase::connecting) {
    abort_run(fmt::format("client {} failed while connecting: {}", c.id(), detail));
  }
}

void runner::on_closed(client&) {
  if (phase_ == phase::ending_sessions) {
    if (++enders_closed_ == enders_.size()) return io_.stop();
    return start_more_enders();
  }
  ++closed_;
  if (phase_ == phase::closing && closed_ == pubs_.size() + subs_.size()) all_closed();
}

void runner::on_acknowledged(client&, ack_kind kind, bench_clock::time_point sent,
                             bench_clock::time_point now) {
  const auto sent_ns = to_ns(sent);
  if (!in_latency_window(sent_ns)) return;
  const auto now_ns = to_ns(now);
  (kind == ack_kind::pubcomp ? pubcomp_histogram_ : ack_histogram_)
      .record(now_ns > sent_ns ? now_ns - sent_ns : 0);
}

void runner::on_capacity(client& c) {
  if (c.role() == client_role::publisher) pump(c.index());
}

void runner::on_message(client& c, const codec::publish& message, bench_clock::time_point now) {
  if (c.role() != client_role::subscriber) {
    ++protocol_errors_;
    return record_error(c.id(), fmt::format("PUBLISH on {} to a publisher", message.topic));
  }
  auto& sub = subs_[c.index()];
  if (scenario_.random_topics()) return on_manysubs_message(sub, message, now);
  const auto publisher = scenario_.index_of_topic(message.topic);
  if (!publisher || !sub.publishers.contains(*publisher)) {
    ++protocol_errors_;
    return record_error(c.id(), fmt::format("PUBLISH on unexpected topic {}", message.topic));
  }
  auto& pub = pubs_[*publisher];
  const auto stamp = read_stamp(message.payload);
  if (!stamp || stamp->seq >= pub.sent) {
    ++protocol_errors_;
    return record_error(
        c.id(), fmt::format("PUBLISH on {} with a payload this run did not send", message.topic));
  }
  auto& stream = sub.streams[*publisher - sub.publishers.begin];
  const auto before = stream.next_expected();
  if (stream.record(stamp->seq) == sequence_tracker::outcome::duplicate) return;
  count_receipt(pub, stamp->sent_ns, before, stream.next_expected(), now);
}

// Topic k names its publisher (k % P) and its one subscriber. Loss and duplicates are counted per
// publisher over all subscribers, order per (publisher, subscriber connection).
void runner::on_manysubs_message(subscriber_state& sub, const codec::publish& message,
                                 bench_clock::time_point now) {
  const auto& c = *sub.conn;
  const auto k = scenario_.index_of_topic(message.topic);
  if (!k || scenario_.subscriber_of_subscription(*k) != c.index()) {
    ++protocol_errors_;
    return record_error(c.id(), fmt::format("PUBLISH on unexpected topic {}", message.topic));
  }
  const auto publisher = scenario_.publisher_of_subscription(*k);
  auto& pub = pubs_[publisher];
  const auto stamp = read_stamp(message.payload);
  if (!stamp || stamp->seq >= pub.sent) {
    ++protocol_errors_;
    return record_error(
        c.id(), fmt::format("PUBLISH on {} with a payload this run did not send", message.topic));
  }
  if (pub.receipts.record(stamp->seq) == sequence_tracker::outcome::duplicate) return;
  auto& next = sub.next_from[publisher];
  if (stamp->seq < next) ++manysubs_out_of_order_;
  next = std::max(next, stamp->seq + 1);
  // The closed-loop window moves past a message only once it arrived, not when a later one
  // arrived on another connection: a slow subscriber must hold its publishers back.
  count_receipt(pub, stamp->sent_ns, stamp->seq, stamp->seq + 1, now);
}

// A first receipt of a message of `pub`, which completes [before, after) for one subscriber.
void runner::count_receipt(publisher_state& pub, std::uint64_t sent_ns, std::uint64_t before,
                           std::uint64_t after, bench_clock::time_point now) {
  ++unique_receipts_;
  ++interval_delivered_;
  if (phase_ == phase::measuring) ++delivered_window_;
  if (in_latency_window(sent_ns)) {
    const auto now_ns = to_ns(now);
    histogram_.record(now_ns > sent_ns ? now_ns - sent_ns : 0);
  }
  if (!schedule_ && after > before && pub.window.advance(before, after) > 0) {
    pub.last_progress = now;
    pump(pub.conn->index());
  }
}

// ---- publishing ----

void runner::pump(std::uint32_t publisher) {
  if (!publishing()) return;
  auto& pub = pubs_[publisher];
  if (schedule_) {
    while (pub.sent < pub.due && pub.conn->can_publish(qos_)) {
      send_message(pub, schedule_->time_of(publisher, pub.sent));
    }
    return;
  }
  const std::uint64_t limit = pub.window.completed() + pub.window.window();
  if (pub.sent >= limit) return;
  const auto now_ns = to_ns(bench_clock::now());
  while (pub.sent < limit && pub.conn->can_publish(qos_)) send_message(pub, now_ns);
}

void runner::send_message(publisher_state& pub, std::uint64_t stamp_ns) {
  auto& message = std::get<codec::publish>(pub.message);
  if (scenario_.random_topics()) {
    message.topic = scenario_.topic_of(scenario_.random_subscription(pub.conn->index(), rng_));
  }
  write_stamp(message.payload, {stamp_ns, pub.sent});
  pub.conn->publish(pub.message);
  ++pub.sent;
  ++total_sent_;
  expected_receipts_ += pub.receivers;
  ++interval_published_;
  if (phase_ == phase::measuring) ++published_window_;
}

void runner::pace() {
  if (!publishing()) return;
  const auto due = schedule_->due_by(to_ns(bench_clock::now()));
  std::uint64_t handed_out = 0;
  while (next_global_ < due && handed_out < k_pace_batch) {
    const auto publisher = schedule_->publisher_of(next_global_);
    ++pubs_[publisher].due;
    pump(publisher);
    ++next_global_;
    ++handed_out;
  }
  if (next_global_ < due) {
    asio::post(io_, [this] { pace(); });  // behind schedule: let I/O run, then continue
    return;
  }
  pace_timer_.expires_at(from_ns(schedule_->time_of(next_global_)));
  pace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) pace();
  });
}

// ---- phases ----

void runner::start_traffic() {
  const auto now = bench_clock::now();
  traffic_start_ = now;
  for (auto& pub : pubs_) pub.last_progress = now;
  phase_timer_.cancel();  // the connect timeout
  if (options_.warmup_s > 0) {
    phase_ = phase::warmup;
    latency_from_ns_ = to_ns(now);
    phase_timer_.expires_at(now + seconds(options_.warmup_s));
    phase_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && phase_ == phase::warmup) begin_measuring();
    });
  } else {
    begin_measuring();
  }
  if (schedule_) {
    schedule_->start(to_ns(now));
    pace();
  } else {
    for (std::uint32_t i = 0; i < pubs_.size(); ++i) pump(i);
  }
}

void runner::begin_measuring() {
  phase_ = phase::measuring;
  cpu_start_ = sample_cpu();
  measure_start_ = cpu_start_.wall;
  measured_ = true;
  histogram_.reset();
  ack_histogram_.reset();
  pubcomp_histogram_.reset();
  latency_from_ns_ = to_ns(measure_start_);
  published_window_ = 0;
  delivered_window_ = 0;
  phase_timer_.expires_at(measure_start_ + seconds(options_.duration_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == phase::measuring) end_measuring();
  });
  // At once, not at the next tick: scripts start their own measurements of the broker on it.
  if (!options_.quiet) {
    fmt::print(stderr, "[{:5.1f}s] measuring for {} s\n", elapsed_s(run_start_, measure_start_),
               options_.duration_s);
  }
}

void runner::end_measuring() {
  phase_ = phase::draining;
  cpu_end_ = sample_cpu();
  measure_end_ = cpu_end_.wall;
  latency_until_ns_ = to_ns(measure_end_);
  pace_timer_.cancel();
  if (schedule_) {
    const auto due = schedule_->due_by(latency_until_ns_);
    backlog_ = due > total_sent_ ? due - total_sent_ : 0;
  }
  drain_deadline_ = measure_end_ + seconds(options_.drain_s);
  if (!options_.quiet) {
    fmt::print(stderr, "[{:5.1f}s] measured, draining\n", elapsed_s(run_start_, measure_end_));
  }
  poll_drain();
}

bool runner::drained() const {
  const bool listening = std::any_of(subs_.begin(), subs_.end(), [](const subscriber_state& sub) {
    return sub.conn->current_state() == client::state::ready;
  });
  if (!listening) return true;  // nothing more can arrive
  if (unique_receipts_ < expected_receipts_) return false;
  return std::all_of(pubs_.begin(), pubs_.end(), [](const publisher_state& pub) {
    return pub.conn->current_state() != client::state::ready || pub.conn->inflight() == 0;
  });
}

void runner::poll_drain() {
  if (phase_ != phase::draining) return;
  if (drained() || bench_clock::now() >= drain_deadline_) return finish();
  phase_timer_.expires_after(k_drain_poll);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_drain();
  });
}

void runner::abort_run(std::string reason) {
  if (aborted_ || phase_ == phase::closing) return;
  aborted_ = true;
  abort_reason_ = std::move(reason);
  if (phase_ == phase::measuring) end_measuring();
  finish();
}

void runner::finish() {
  if (phase_ == phase::closing) return;
  phase_ = phase::closing;
  tick_timer_.cancel();
  pace_timer_.cancel();
  phase_timer_.cancel();
  for (auto& sub : subs_) sub.conn->disconnect();
  for (auto& pub : pubs_) pub.conn->disconnect();
  if (closed_ == pubs_.size() + subs_.size()) return all_closed();
  phase_timer_.expires_after(k_close_timeout);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    for (auto& sub : subs_) sub.conn->close();  // the last one to close calls all_closed()
    for (auto& pub : pubs_) pub.conn->close();
    if (phase_ == phase::closing) io_.stop();
  });
}

void runner::all_closed() {
  if (!options_.persistent || ready_ == 0) return io_.stop();  // no session was ever made
  end_sessions();
}

// A persistent session would outlive the run and, still subscribed, keep collecting (and with a
// store, writing) the messages of later runs. A clean-start CONNECT with the same client id
// discards it, in MQTT 3.1.1 as in 5 (where the new session then ends with the connection).
void runner::end_sessions() {
  phase_ = phase::ending_sessions;
  for (std::uint32_t i = 0; i < subs_.size(); ++i) {
    client_settings settings;
    settings.version = version_;
    settings.client_id = subs_[i].conn->id();
    settings.keep_alive_s = options_.keep_alive_s;
    settings.publish_qos = qos_;
    enders_.push_back(
        std::make_unique<client>(io_, *this, client_role::subscriber, i, std::move(settings)));
  }
  phase_timer_.expires_after(k_close_timeout);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    fmt::print(stderr, "tern-bench: subscriber sessions not all ended after {} s\n",
               std::chrono::duration<double>(k_close_timeout).count());
    for (auto& ender : enders_) ender->close();
    io_.stop();
  });
  start_more_enders();
}

void runner::start_more_enders() {
  while (enders_started_ < enders_.size() &&
         enders_started_ - enders_closed_ < options_.connect_concurrency) {
    enders_[enders_started_++]->start(endpoint_);
  }
}

// ---- once a second ----

void runner::tick() {
  const auto now = bench_clock::now();
  for (auto& pub : pubs_) pub.conn->keep_alive(now);
  for (auto& sub : subs_) sub.conn->keep_alive(now);
  if (publishing() && !schedule_) check_stalls(now);
  if (!options_.quiet) print_progress(now);
  interval_published_ = 0;
  interval_delivered_ = 0;
  next_tick_ += 1s;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void runner::check_stalls(bench_clock::time_point now) {
  for (std::uint32_t i = 0; i < pubs_.size(); ++i) {
    auto& pub = pubs_[i];
    if (pub.sent > pub.window.completed() && now - pub.last_progress > k_stall_timeout &&
        pub.conn->current_state() == client::state::ready) {
      pub.window.abandon(pub.sent);
      pub.last_progress = now;
      ++window_timeouts_;
      pump(i);
    }
  }
}

void runner::print_progress(bench_clock::time_point now) {
  const auto cpu_now = sample_cpu();
  const auto cpu = cpu_between(last_tick_cpu_, cpu_now);
  last_tick_cpu_ = cpu_now;
  const double t = elapsed_s(run_start_, now);
  const auto errors = connect_failures_ + disconnects_ + protocol_errors_;
  switch (phase_) {
    case phase::connecting:
      fmt::print(stderr, "[{:5.1f}s] connecting  ready {}/{}  errors {}\n", t, ready_,
                 pubs_.size() + subs_.size(), errors);
      break;
    case phase::warmup:
    case phase::measuring:
    case phase::draining:
      fmt::print(stderr,
                 "[{:5.1f}s] {:<10} sent {:>8}/s  recv {:>8}/s  p99 {} ({} samples)  "
                 "outstanding {}  errors {}  cpu {:.0f}%\n",
                 t,
                 phase_ == phase::warmup      ? "warm-up"
                 : phase_ == phase::measuring ? "measuring"
                                              : "draining",
                 interval_published_, interval_delivered_,
                 format_latency(histogram_.percentile(99.0)), histogram_.count(),
                 expected_receipts_ - unique_receipts_, errors, cpu.percent());
      break;
    case phase::closing:
    case phase::ending_sessions:
      break;
  }
}

void runner::record_error(std::string_view who, std::string_view detail) {
  if (errors_printed_ < k_max_error_lines) {
    fmt::print(stderr, "tern-bench: {}: {}\n", who, detail);
  } else if (errors_printed_ == k_max_error_lines) {
    fmt::print(stderr, "tern-bench: further errors are counted but not shown\n");
  }
  ++errors_printed_;
}

// ---- results ----

// From the first SUBSCRIBE to the last SUBACK, counting the subscribers that got all of theirs.
subscribe_summary runner::collect_subscribe() const {
  subscribe_summary summary;
  std::optional<bench_clock::time_point> first;
  std::optional<bench_clock::time_point> last;
  for (const auto& sub : subs_) {
    const auto started = sub.conn->subscribe_started();
    const auto finished = sub.conn->subscribe_finished();
    if (started && (!first || *started < *first)) first = started;
    if (!finished) continue;
    if (!last || *finished > *last) last = finished;
    summary.subscriptions += scenario_.subscriptions_of(sub.conn->index()).size();
  }
  if (first && last) summary.seconds = elapsed_s(*first, *last);
  return summary;
}

run_results runner::collect() const {
  run_results r;
  r.publishers = scenario_.publishers();
  r.subscribers = scenario_.subscribers();
  if (measured_) {
    r.warmup_s = elapsed_s(traffic_start_, measure_start_);
    r.measured_s = elapsed_s(measure_start_, measure_end_);
    r.cpu = cpu_between(cpu_start_, cpu_end_);
  }
  r.published = published_window_;
  r.delivered = delivered_window_;
  r.latency = summarize(histogram_);
  r.ack_latency = summarize(ack_histogram_);
  r.pubcomp_latency = summarize(pubcomp_histogram_);
  for (const auto& sub : subs_) {
    for (std::size_t k = 0; k < sub.streams.size(); ++k) {
      const auto& stream = sub.streams[k];
      const auto sent = pubs_[sub.publishers.begin + k].sent;
      r.lost += stream.missing() + (sent - std::min(sent, stream.next_expected()));
      r.duplicated += stream.duplicates();
      r.out_of_order += stream.out_of_order();
    }
  }
  if (scenario_.random_topics()) {
    for (const auto& pub : pubs_) {
      r.lost +=
          pub.receipts.missing() + (pub.sent - std::min(pub.sent, pub.receipts.next_expected()));
      r.duplicated += pub.receipts.duplicates();
    }
    r.out_of_order = manysubs_out_of_order_;
    r.subscribe = collect_subscribe();
  }
  r.latency_cdf = latency_cdf(histogram_);
  r.connect_failures = connect_failures_;
  r.disconnects = disconnects_;
  r.protocol_errors = protocol_errors_;
  r.window_timeouts = window_timeouts_;
  r.backlog = backlog_;
  r.aborted = aborted_;
  r.abort_reason = abort_reason_;
  return r;
}

}  // namespace tern::bench
