#include "client.hpp"

#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <span>
#include <utility>
#include <variant>

#include "codec/encoder.hpp"
#include "codec/reason_code.hpp"

namespace tern::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
using bind_address_no_port =
    asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

bool is_failure(codec::reason_code reason) {
  return static_cast<std::uint8_t>(reason) >= 0x80;
}
std::string reason_text(codec::reason_code reason) {
  return fmt::format("0x{:02x}", static_cast<unsigned>(reason));
}
}  // namespace

client::client(asio::io_context& io, client_events& events, client_role role, std::uint32_t index,
               client_settings settings)
    : io_(io),
      socket_(io),
      events_(events),
      role_(role),
      index_(index),
      settings_(std::move(settings)) {
  decode_options_.version = settings_.version;
}

void client::start(const tcp::endpoint& broker) {
  state_ = state::connecting;
  if (settings_.source_address) {
    boost::system::error_code ec;
    socket_.open(broker.protocol(), ec);
    // The port is picked at connect time, per destination: many more connections fit.
    if (!ec) socket_.set_option(bind_address_no_port(true), ec);
    if (!ec) socket_.bind(tcp::endpoint(*settings_.source_address, 0), ec);
    if (ec) {
      return fail(client_error::connect_failed,
                  fmt::format("cannot bind to {}: {}", settings_.source_address->to_string(),
                              ec.message()));
    }
  }
  socket_.async_connect(broker, [this](const boost::system::error_code& ec) { on_connect(ec); });
}

void client::on_connect(const boost::system::error_code& ec) {
  if (state_ != state::connecting) return;
  if (ec) return fail(client_error::connect_failed, ec.message());
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  codec::connect c;
  c.version = settings_.version;
  c.clean_start = settings_.clean_start;
  c.keep_alive = settings_.keep_alive_s;
  c.client_id = settings_.client_id;
  if (settings_.version == codec::protocol_version::v5 && settings_.session_expiry_s > 0) {
    c.props.session_expiry_interval = settings_.session_expiry_s;
  }
  state_ = state::handshaking;
  send(c);
  read_buffer_.resize(settings_.read_chunk);
  read_more();
}

// ---- reading ----

void client::read_more() {
  if (read_buffer_.size() - read_length_ < settings_.read_chunk / 4) {
    read_buffer_.resize(read_buffer_.size() * 2);  // a packet larger than the buffer
  }
  socket_.async_read_some(
      asio::buffer(read_buffer_.data() + read_length_, read_buffer_.size() - read_length_),
      [this](const boost::system::error_code& ec, std::size_t bytes) { on_read(ec, bytes); });
}

void client::on_read(const boost::system::error_code& ec, std::size_t bytes) {
  if (state_ == state::closed) return;
  if (ec) {
    if (state_ == state::closing) return close();  // the broker closed after our DISCONNECT
    const auto kind =
        state_ == state::ready ? client_error::disconnected : client_error::connect_failed;
    return fail(kind, ec == asio::error::eof ? "connection closed by the broker" : ec.message());
  }
  read_length_ += bytes;
  const auto now = bench_clock::now();
  std::size_t offset = 0;
  while (offset < read_length_) {
    auto result = codec::decode(
        std::span<const std::uint8_t>(read_buffer_.data() + offset, read_length_ - offset),
        decode_options_);
    if (result.status == codec::decode_status::need_more) break;
    if (result.status == codec::decode_status::error) {
      return fail(client_error::protocol, fmt::format("undecodable packet from the broker: {}",
                                                      codec::to_string(result.error)));
    }
    offset += result.consumed;
    handle(result.value, now);
    if (state_ == state::closed) return;
  }
  if (offset > 0) {
    std::memmove(read_buffer_.data(), read_buffer_.data() + offset, read_length_ - offset);
    read_length_ -= offset;
  }
  read_more();
}

void client::handle(const codec::packet& p, bench_clock::time_point now) {
  if (state_ == state::closing) return;  // late traffic after DISCONNECT is not counted
  if (const auto* publish = std::get_if<codec::publish>(&p)) return handle_publish(*publish, now);
  if (const auto* puback = std::get_if<codec::puback>(&p)) return handle_puback(*puback, now);
  if (const auto* pubrec = std::get_if<codec::pubrec>(&p)) return handle_pubrec(*pubrec, now);
  if (const auto* pubrel = std::get_if<codec::pubrel>(&p)) return handle_pubrel(*pubrel);
  if (const auto* pubcomp = std::get_if<codec::pubcomp>(&p)) return handle_pubcomp(*pubcomp, now);
  if (const auto* connack = std::get_if<codec::connack>(&p)) return handle_connack(*connack);
  if (const auto* suback = std::get_if<codec::suback>(&p)) return handle_suback(*suback);
  if (std::holds_alternative<codec::pingresp>(p)) return;
  if (const auto* d = std::get_if<codec::disconnect>(&p)) {
    return fail(client_error::disconnected,
                fmt::format("DISCONNECT from the broker, reason {}", reason_text(d->reason)));
  }
  fail(client_error::protocol,
       fmt::format("unexpected {} from the broker", codec::to_string(codec::type_of(p))));
}

void client::handle_connack(const codec::connack& ack) {
  if (state_ != state::handshaking) {
    return fail(client_error::protocol, "CONNACK outside the handshake");
  }
  if (is_failure(ack.reason)) {
    return fail(client_error::connect_failed,
                fmt::format("CONNACK refused the connection, reason {}", reason_text(ack.reason)));
  }
  if (ack.props.receive_maximum) max_inflight_ = *ack.props.receive_maximum;
  if (ack.props.server_keep_alive) settings_.keep_alive_s = *ack.props.server_keep_alive;
  if (role_ == client_role::publisher && ack.props.maximum_qos &&
      *ack.props.maximum_qos < static_cast<std::uint8_t>(settings_.publish_qos)) {
    return fail(client_error::connect_failed,
                fmt::format("the broker accepts PUBLISH up to QoS {} only",
                            static_cast<unsigned>(*ack.props.maximum_qos)));
  }
  if (settings_.subscriptions.empty()) {
    state_ = state::ready;
    return events_.on_ready(*this);
  }
  state_ = state::subscribing;
  subscribe_started_ = bench_clock::now();
  subscribe_next_batch();
}

void client::subscribe_next_batch() {
  codec::subscribe sub;
  subscribe_id_ = ids_.acquire().value_or(1);
  sub.packet_id = subscribe_id_;
  subscribing_ = std::min(std::max<std::size_t>(settings_.subscribe_batch, 1),
                          settings_.subscriptions.size() - subscribed_);
  const auto first = settings_.subscriptions.begin() + static_cast<std::ptrdiff_t>(subscribed_);
  sub.subscriptions.assign(first, first + static_cast<std::ptrdiff_t>(subscribing_));
  send(sub);
}

void client::handle_suback(const codec::suback& ack) {
  if (state_ != state::subscribing || ack.packet_id != subscribe_id_) {
    return fail(client_error::protocol, "unexpected SUBACK");
  }
  ids_.erase(subscribe_id_);
  if (ack.reasons.size() != subscribing_) {
    return fail(client_error::connect_failed,
                fmt::format("SUBACK with {} reason codes for {} filters", ack.reasons.size(),
                            subscribing_));
  }
  for (std::size_t i = 0; i < subscribing_; ++i) {
    const auto reason = ack.reasons[i];
    const auto& wanted = settings_.subscriptions[subscribed_ + i];
    if (is_failure(reason)) {
      return fail(client_error::connect_failed,
                  fmt::format("SUBACK refused the subscription to {}, reason {}", wanted.filter,
                              reason_text(reason)));
    }
    if (static_cast<std::uint8_t>(reason) < static_cast<std::uint8_t>(wanted.options.max_qos)) {
      return fail(client_error::connect_failed,
                  fmt::format("SUBACK granted only QoS {}", static_cast<unsigned>(reason)));
    }
  }
  subscribed_ += subscribing_;
  subscribing_ = 0;
  if (subscribed_ < settings_.subscriptions.size()) return subscribe_next_batch();
  subscribe_finished_ = bench_clock::now();
  state_ = state::ready;
  events_.on_ready(*this);
}

void client::handle_publish(const codec::publish& message, bench_clock::time_point now) {
  // A broker may send retained messages of a subscription before its SUBACK.
  if (state_ != state::ready && state_ != state::subscribing) {
    return fail(client_error::protocol, "PUBLISH before SUBSCRIBE");
  }
  switch (message.qos_level) {
    case codec::qos::at_most_once:
      break;
    case codec::qos::at_least_once: {
      codec::puback ack;
      ack.packet_id = message.packet_id;
      send(ack);
      break;
    }
    case codec::qos::exactly_once: {
      codec::pubrec rec;
      rec.packet_id = message.packet_id;
      send(rec);
      // A retransmission before PUBREL is the same message: deliver it once.
      if (!awaiting_release_.insert(message.packet_id)) return;
      break;
    }
  }
  events_.on_message(*this, message, now);
}

void client::release_id(std::uint16_t id, std::string_view packet_name) {
  if (!ids_.erase(id)) {
    return events_.on_error(*this, client_error::protocol,
                            fmt::format("{} for packet id {} not in use", packet_name, id));
  }
  events_.on_capacity(*this);
}

void client::acknowledged(ack_kind kind, std::uint16_t id, bench_clock::time_point now) {
  if (!ids_.contains(id)) return;
  if (const auto sent = sent_.find(id)) events_.on_acknowledged(*this, kind, *sent, now);
}

void client::handle_puback(const codec::puback& ack, bench_clock::time_point now) {
  if (is_failure(ack.reason)) {
    events_.on_error(*this, client_error::protocol,
                     fmt::format("PUBACK with reason {}", reason_text(ack.reason)));
  } else {
    acknowledged(ack_kind::puback, ack.packet_id, now);
  }
  sent_.forget(ack.packet_id);
  release_id(ack.packet_id, "PUBACK");
}

void client::handle_pubrec(const codec::pubrec& ack, bench_clock::time_point now) {
  if (!ids_.contains(ack.packet_id)) {
    return events_.on_error(*this, client_error::protocol,
                            fmt::format("PUBREC for packet id {} not in use", ack.packet_id));
  }
  if (is_failure(ack.reason)) {
    events_.on_error(*this, client_error::protocol,
                     fmt::format("PUBREC with reason {}", reason_text(ack.reason)));
    sent_.forget(ack.packet_id);
    return release_id(ack.packet_id, "PUBREC");  // the exchange ends here
  }
  acknowledged(ack_kind::pubrec, ack.packet_id, now);
  codec::pubrel rel;
  rel.packet_id = ack.packet_id;
  send(rel);
}

void client::handle_pubrel(const codec::pubrel& rel) {
  codec::pubcomp comp;
  comp.packet_id = rel.packet_id;
  if (!awaiting_release_.erase(rel.packet_id) && settings_.version == codec::protocol_version::v5) {
    comp.reason = codec::reason_code::packet_identifier_not_found;
  }
  send(comp);
}

void client::handle_pubcomp(const codec::pubcomp& ack, bench_clock::time_point now) {
  if (is_failure(ack.reason)) {
    events_.on_error(*this, client_error::protocol,
                     fmt::format("PUBCOMP with reason {}", reason_text(ack.reason)));
  } else {
    acknowledged(ack_kind::pubcomp, ack.packet_id, now);
  }
  sent_.forget(ack.packet_id);
  release_id(ack.packet_id, "PUBCOMP");
}

// ---- publishing ----

bool client::can_publish(codec::qos qos_level) const noexcept {
  if (state_ != state::ready || queued_.size() >= k_write_high_water) return false;
  return qos_level == codec::qos::at_most_once ||
         ids_.size() < std::min<std::size_t>(max_inflight_, 65535);
}

void client::publish(codec::packet& message) {
  auto& p = std::get<codec::publish>(message);
  if (p.qos_level != codec::qos::at_most_once) {
    p.packet_id = ids_.acquire().value_or(0);
    sent_.remember(p.packet_id, bench_clock::now());
  }
  send(message);
}

void client::keep_alive(bench_clock::time_point now) {
  if (state_ != state::ready || settings_.keep_alive_s == 0) return;
  if (now - last_send_ >= std::chrono::seconds(settings_.keep_alive_s) / 2) send(codec::pingreq{});
}

// ---- writing ----

void client::send(const codec::packet& p) {
  if (state_ == state::closing || state_ == state::closed) return;
  if (codec::encode(p, settings_.version, queued_) == 0) {
    return fail(client_error::protocol,
                fmt::format("cannot encode {}", codec::to_string(codec::type_of(p))));
  }
  schedule_flush();
}

void client::schedule_flush() {
  if (write_in_flight_ || flush_posted_) return;
  flush_posted_ = true;
  asio::post(io_, [this] {
    flush_posted_ = false;
    flush();
  });
}

void client::flush() {
  if (write_in_flight_ || queued_.empty() || state_ == state::closed) return;
  std::swap(queued_, writing_);
  write_in_flight_ = true;
  last_send_ = bench_clock::now();
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const boost::system::error_code& ec, std::size_t) { on_written(ec); });
}

void client::on_written(const boost::system::error_code& ec) {
  write_in_flight_ = false;
  writing_.clear();
  if (state_ == state::closed) return;
  if (ec) {
    if (state_ == state::closing) return close();
    const auto kind =
        state_ == state::ready ? client_error::disconnected : client_error::connect_failed;
    return fail(kind, ec.message());
  }
  if (state_ == state::closing) {
    if (!queued_.empty()) return flush();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);  // the broker closes; on_read sees EOF
    return;
  }
  flush();
  if (state_ == state::ready && role_ == client_role::publisher) events_.on_capacity(*this);
}

// ---- ending ----

void client::disconnect() {
  switch (state_) {
    case state::handshaking:
    case state::subscribing:
    case state::ready:
      send(codec::disconnect{});
      state_ = state::closing;
      if (!write_in_flight_ && !flush_posted_) flush();
      break;
    case state::closing:
    case state::closed:
      break;
    case state::idle:
    case state::connecting:
      close();
      break;
  }
}

void client::close() {
  if (state_ == state::closed) return;
  state_ = state::closed;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  events_.on_closed(*this);
}

void client::fail(client_error kind, std::string_view detail) {
  if (state_ == state::closed) return;
  events_.on_error(*this, kind, detail);
  close();
}

}  // namespace tern::bench
