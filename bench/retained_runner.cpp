#include "retained_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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
constexpr auto k_close_timeout = 2s;
constexpr std::uint32_t k_stall_ticks = 2;  // seconds without progress before a phase gives up
constexpr std::uint64_t k_max_error_lines = 10;
}  // namespace

retained_runner::retained_runner(const bench_options& options)
    : options_(options),
      run_tag_(std::random_device{}()),
      io_(1),
      tick_timer_(io_),
      phase_timer_(io_) {}

std::string retained_runner::topic_prefix() const {
  return fmt::format("{}/{:08x}/", options_.topic_prefix, run_tag_);
}

run_results retained_runner::run() {
  run_start_ = bench_clock::now();
  cpu_start_ = sample_cpu();
  results_.publishers = 1;
  results_.subscribers = options_.subscribers;
  try {
    asio::ip::tcp::resolver resolver(io_);
    endpoint_ = resolver.resolve(options_.host, std::to_string(options_.port)).begin()->endpoint();
  } catch (const boost::system::system_error& e) {
    ++results_.connect_failures;
    results_.aborted = true;
    results_.abort_reason = fmt::format("cannot resolve {}: {}", options_.host, e.code().message());
    return results_;
  }
  client_settings settings;
  settings.version =
      options_.mqtt == 3 ? codec::protocol_version::v3_1_1 : codec::protocol_version::v5;
  settings.client_id = fmt::format("tb{:08x}-p0", run_tag_);
  settings.keep_alive_s = options_.keep_alive_s;
  settings.publish_qos = codec::qos::at_least_once;
  publisher_ = std::make_unique<client>(io_, *this, client_role::publisher, 0, std::move(settings));
  codec::publish message;
  message.payload.assign(options_.size, 0);
  message.qos_level = codec::qos::at_least_once;
  message.retain = true;
  message_ = std::move(message);

  arm_connect_timeout();
  next_tick_ = run_start_ + 1s;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
  publisher_->start(endpoint_);
  io_.run();

  retained_.messages = acknowledged_;
  retained_.subscribers = subs_.size();
  retained_.received = received_;
  results_.retained = retained_;
  results_.published = acknowledged_;
  results_.delivered = received_;
  results_.measured_s = retained_.delivery_s;
  results_.duplicated = duplicated_;
  results_.lost = options_.subscribers * std::uint64_t{options_.clients} - received_;
  results_.cpu = cpu_between(cpu_start_, sample_cpu());
  return results_;
}

// For the publisher, then again for the subscribers.
void retained_runner::arm_connect_timeout() {
  phase_timer_.expires_after(seconds(options_.connect_timeout_s));
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || phase_ == phase::closing || ready_ == total_clients_) return;
    results_.connect_failures += total_clients_ - ready_;
    results_.aborted = true;
    results_.abort_reason = fmt::format("{} clients not ready after {} s", total_clients_ - ready_,
                                        options_.connect_timeout_s);
    finish();
  });
}

// ---- publishing ----

void retained_runner::pump() {
  if (phase_ != phase::publishing) return;
  auto& message = std::get<codec::publish>(message_);
  const std::string prefix = topic_prefix();
  while (sent_ < options_.clients && publisher_->inflight() < options_.inflight &&
         publisher_->can_publish(codec::qos::at_least_once)) {
    message.topic = prefix + std::to_string(sent_);
    write_stamp(message.payload,
                {static_cast<std::uint64_t>(bench_clock::now().time_since_epoch().count()), sent_});
    publisher_->publish(message_);
    ++sent_;
  }
  if (sent_ == options_.clients && publisher_->inflight() == 0) {
    retained_.publish_s = elapsed_s(publish_start_, bench_clock::now());
    start_subscribers();
  }
}

void retained_runner::on_acknowledged(client&, ack_kind, bench_clock::time_point,
                                      bench_clock::time_point) {
  ++acknowledged_;
}

void retained_runner::on_capacity(client&) {
  pump();
}

// ---- subscribing ----

void retained_runner::start_subscribers() {
  phase_ = phase::subscribing;
  idle_ticks_ = 0;
  subs_.resize(options_.subscribers);
  total_clients_ += subs_.size();
  for (std::uint32_t i = 0; i < subs_.size(); ++i) {
    client_settings settings;
    settings.version =
        options_.mqtt == 3 ? codec::protocol_version::v3_1_1 : codec::protocol_version::v5;
    settings.client_id = fmt::format("tb{:08x}-s{}", run_tag_, i);
    settings.source_address = source_address(options_.source_addresses, run_tag_, i);
    settings.keep_alive_s = options_.keep_alive_s;
    codec::subscription subscription;
    subscription.filter = topic_prefix() + "#";
    subscription.options.max_qos = static_cast<codec::qos>(options_.qos);
    settings.subscriptions.push_back(std::move(subscription));
    subs_[i].conn =
        std::make_unique<client>(io_, *this, client_role::subscriber, i, std::move(settings));
    subs_[i].seen.assign(options_.clients, false);
  }
  arm_connect_timeout();
  start_more_subscribers();
}

void retained_runner::start_more_subscribers() {
  while (phase_ == phase::subscribing && started_ < subs_.size() &&
         started_ - (ready_ - 1) < options_.connect_concurrency) {  // ready_ counts the publisher
    subs_[started_++].conn->start(endpoint_);
  }
}

void retained_runner::on_ready(client& c) {
  ++ready_;
  if (c.role() == client_role::publisher) {
    phase_ = phase::publishing;
    publish_start_ = bench_clock::now();
    return pump();
  }
  start_more_subscribers();
}

void retained_runner::on_message(client& c, const codec::publish& message,
                                 bench_clock::time_point now) {
  const auto prefix = topic_prefix();
  std::uint64_t k = 0;
  const auto* digits = message.topic.data() + std::min(prefix.size(), message.topic.size());
  const auto* end = message.topic.data() + message.topic.size();
  const auto parsed = std::from_chars(digits, end, k);
  const auto stamp = read_stamp(message.payload);
  if (c.role() != client_role::subscriber || !message.topic.starts_with(prefix) ||
      parsed.ec != std::errc{} || parsed.ptr != end || k >= options_.clients || !stamp ||
      stamp->seq != k || !message.retain) {
    ++results_.protocol_errors;
    return record_error(c.id(), fmt::format("unexpected PUBLISH on {}{}", message.topic,
                                            message.retain ? "" : " (not retained)"));
  }
  auto& sub = subs_[c.index()];
  if (sub.seen[k]) {
    ++duplicated_;
    return;
  }
  sub.seen[k] = true;
  ++sub.received;
  ++received_;
  last_receipt_ = now;
  if (received_ == subs_.size() * std::uint64_t{options_.clients}) finish();
}

// ---- ending ----

void retained_runner::finish() {
  if (phase_ == phase::closing) return;
  if (phase_ == phase::subscribing || received_ > 0) {
    // From the first SUBSCRIBE to the last retained message received.
    std::optional<bench_clock::time_point> first;
    for (const auto& sub : subs_) {
      const auto started = sub.conn->subscribe_started();
      if (started && (!first || *started < *first)) first = started;
    }
    if (first && received_ > 0) retained_.delivery_s = elapsed_s(*first, last_receipt_);
  }
  phase_ = phase::closing;
  tick_timer_.cancel();
  phase_timer_.cancel();
  publisher_->disconnect();
  for (auto& sub : subs_) sub.conn->disconnect();
  if (closed_ == total_clients_) return io_.stop();
  phase_timer_.expires_after(k_close_timeout);
  phase_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    publisher_->close();
    for (auto& sub : subs_) sub.conn->close();
    io_.stop();
  });
}

void retained_runner::on_error(client& c, client_error kind, std::string_view detail) {
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
  if (kind != client_error::protocol) {
    results_.aborted = true;
    results_.abort_reason = fmt::format("client {} failed: {}", c.id(), detail);
    finish();
  }
}

void retained_runner::on_closed(client&) {
  ++closed_;
  if (phase_ == phase::closing && closed_ == total_clients_) io_.stop();
}

// Once a second: keep-alive, progress, and giving up on a phase that stopped moving.
void retained_runner::tick() {
  const auto now = bench_clock::now();
  publisher_->keep_alive(now);
  for (auto& sub : subs_) sub.conn->keep_alive(now);
  const std::uint64_t progress = acknowledged_ + received_;
  idle_ticks_ = progress == progress_at_last_tick_ ? idle_ticks_ + 1 : 0;
  progress_at_last_tick_ = progress;
  if (!options_.quiet) {
    fmt::print(stderr, "[{:5.1f}s] {:<10} published {}/{}  received {}/{}  errors {}\n",
               elapsed_s(run_start_, now),
               phase_ == phase::connecting   ? "connecting"
               : phase_ == phase::publishing ? "publishing"
                                             : "receiving",
               acknowledged_, options_.clients, received_,
               std::uint64_t{options_.clients} * options_.subscribers, results_.errors());
  }
  if (phase_ == phase::publishing && idle_ticks_ >= k_stall_ticks) {
    results_.aborted = true;
    results_.abort_reason = fmt::format("no PUBACK for {} s", k_stall_ticks);
    return finish();
  }
  if (phase_ == phase::subscribing && ready_ == total_clients_ && idle_ticks_ >= k_stall_ticks) {
    return finish();  // the rest never arrives: counted as lost
  }
  next_tick_ += 1s;
  tick_timer_.expires_at(next_tick_);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void retained_runner::record_error(std::string_view who, std::string_view detail) {
  if (errors_printed_ < k_max_error_lines) {
    fmt::print(stderr, "tern-bench: {}: {}\n", who, detail);
  } else if (errors_printed_ == k_max_error_lines) {
    fmt::print(stderr, "tern-bench: further errors are counted but not shown\n");
  }
  ++errors_printed_;
}

}  // namespace tern::bench
