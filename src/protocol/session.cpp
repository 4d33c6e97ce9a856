#include "protocol/session.hpp"

#include <fmt/format.h>

#include "codec/encoder.hpp"
#include "protocol/client_id.hpp"

namespace tern::protocol {

using namespace codec;

namespace {

constexpr std::size_t k_v31_max_client_id = 23;

// 1.5 times the keep-alive, in milliseconds [MQTT-3.1.2-24].
std::chrono::milliseconds keep_alive_grace(std::uint16_t keep_alive) {
  return std::chrono::milliseconds{static_cast<std::int64_t>(keep_alive) * 1500};
}

}  // namespace

session::session(const session_settings& settings, time_point now)
    : settings_(settings), connect_deadline_(now + settings.connect_timeout), last_packet_(now) {}

std::size_t session::on_bytes(std::span<const std::uint8_t> bytes, time_point now) {
  std::size_t consumed = 0;
  decode_options options;
  options.max_packet_size = settings_.max_packet_size;
  while (state_ != session_state::closed && consumed < bytes.size()) {
    options.version = version_;
    auto result = decode(bytes.subspan(consumed), options);
    if (result.status == decode_status::need_more) break;
    if (result.status == decode_status::error) {
      handle_decode_error(result);
      break;
    }
    consumed += result.consumed;
    last_packet_ = now;
    handle(std::move(result.value), now);
  }
  return consumed;
}

void session::handle_decode_error(const decode_result& result) {
  const auto reason = to_reason_code(result.error);
  auto detail = fmt::format("{}{}{}", to_string(result.error), result.type ? " in " : "",
                            result.type ? to_string(*result.type) : "");
  if (state_ == session_state::awaiting_connect) {
    if (result.type && *result.type != packet_type::connect) {
      return close(reason_code::protocol_error,
                   fmt::format("first packet is {}, not CONNECT", to_string(*result.type)));
    }
    if (result.error == decode_error::unsupported_protocol_version) {
      // Answer in the 3.1.1 format every client understands [MQTT-3.1.2-2].
      return refuse_connect(protocol_version::v3_1_1, reason, std::move(detail));
    }
    // An MQTT 5 client hears why its CONNECT failed; earlier levels just lose the connection.
    if (result.version == protocol_version::v5) {
      return refuse_connect(protocol_version::v5, reason, std::move(detail));
    }
    return close(reason, std::move(detail));
  }
  protocol_violation(reason, std::move(detail));
}

void session::handle(packet&& p, time_point now) {
  (void)now;
  const auto type = type_of(p);
  if (state_ == session_state::awaiting_connect) {
    if (type != packet_type::connect) {
      return close(reason_code::protocol_error,
                   fmt::format("first packet is {}, not CONNECT", to_string(type)));
    }
    return handle_connect(std::get<connect>(std::move(p)));
  }
  switch (type) {
    case packet_type::pingreq:
      return send(pingresp{});
    case packet_type::disconnect:
      return handle_disconnect(std::get<disconnect>(p));
    case packet_type::connect:
      return protocol_violation(reason_code::protocol_error, "second CONNECT");
    case packet_type::connack:
    case packet_type::suback:
    case packet_type::unsuback:
    case packet_type::pingresp:
      return protocol_violation(reason_code::protocol_error,
                                fmt::format("{} is only sent by servers", to_string(type)));
    case packet_type::auth:
      return protocol_violation(reason_code::protocol_error,
                                "AUTH without enhanced authentication in progress");
    default:
      return protocol_violation(reason_code::implementation_specific_error,
                                fmt::format("{} is not handled yet", to_string(type)));
  }
}

void session::handle_connect(connect&& c) {
  version_ = c.version;
  const bool v5 = c.version == protocol_version::v5;
  connack ack;

  if (c.client_id.empty()) {
    // 3.1 requires an identifier; 3.1.1 only allows an empty one with a clean session
    // [MQTT-3.1.3-8]; MQTT 5 gets one assigned and told [MQTT-3.2.2-16].
    if (c.version == protocol_version::v3_1 || (!v5 && !c.clean_start)) {
      return refuse_connect(c.version, reason_code::client_identifier_not_valid,
                            "empty client identifier without a clean session");
    }
    c.client_id = make_assigned_client_id();
    if (v5) ack.props.assigned_client_identifier = c.client_id;
  } else if (c.version == protocol_version::v3_1 && settings_.strict_v31_client_id_length &&
             c.client_id.size() > k_v31_max_client_id) {
    return refuse_connect(c.version, reason_code::client_identifier_not_valid,
                          "MQTT 3.1 client identifier longer than 23 bytes");
  }

  if (v5 && c.props.authentication_method) {
    return refuse_connect(
        c.version, reason_code::bad_authentication_method,
        fmt::format("authentication method '{}' is not supported", *c.props.authentication_method));
  }

  keep_alive_ = c.keep_alive;
  if (settings_.max_keep_alive < 65'535 &&
      (keep_alive_ == 0 || keep_alive_ > settings_.max_keep_alive)) {
    if (!v5) {
      return refuse_connect(c.version, reason_code::client_identifier_not_valid,
                            fmt::format("keep-alive {} s is above the maximum of {} s", keep_alive_,
                                        settings_.max_keep_alive));
    }
    keep_alive_ = settings_.max_keep_alive;
  }
  if (v5 && keep_alive_ != c.keep_alive) ack.props.server_keep_alive = keep_alive_;

  if (v5) {
    session_expiry_ = c.props.session_expiry_interval.value_or(0);
    if (settings_.max_packet_size < k_max_packet_size) {
      ack.props.maximum_packet_size = settings_.max_packet_size;
    }
  }

  client_id_ = std::move(c.client_id);
  state_ = session_state::connected;
  send(ack);
}

void session::handle_disconnect(const disconnect& d) {
  if (version_ == protocol_version::v5 && d.props.session_expiry_interval && session_expiry_ == 0 &&
      *d.props.session_expiry_interval != 0) {
    // A session that was to end with the connection cannot be prolonged now [MQTT-3.14.2-2].
    return protocol_violation(reason_code::protocol_error,
                              "DISCONNECT raises a zero session expiry interval");
  }
  close(d.reason, fmt::format("client sent DISCONNECT ({})", to_string(d.reason)), true);
}

void session::on_timer(time_point now) {
  if (state_ == session_state::awaiting_connect && now >= connect_deadline_) {
    return close(reason_code::maximum_connect_time, "no CONNECT within the connect timeout");
  }
  if (state_ == session_state::connected && keep_alive_ != 0 &&
      now >= last_packet_ + keep_alive_grace(keep_alive_)) {
    if (version_ == protocol_version::v5) send(disconnect{reason_code::keep_alive_timeout, {}});
    close(reason_code::keep_alive_timeout,
          fmt::format("nothing received for 1.5 x keep-alive ({} s)", keep_alive_));
  }
}

std::optional<time_point> session::deadline() const noexcept {
  switch (state_) {
    case session_state::awaiting_connect:
      return connect_deadline_;
    case session_state::connected:
      if (keep_alive_ == 0) return std::nullopt;
      return last_packet_ + keep_alive_grace(keep_alive_);
    case session_state::closed:
      return std::nullopt;
  }
  return std::nullopt;
}

void session::on_transport_closed(std::string_view detail) {
  if (state_ == session_state::closed) return;
  close(reason_code::unspecified_error, std::string(detail), true);
}

void session::on_server_shutdown() {
  if (state_ == session_state::closed) return;
  if (state_ == session_state::connected && version_ == protocol_version::v5) {
    send(disconnect{reason_code::server_shutting_down, {}});
  }
  close(reason_code::server_shutting_down, "server shutting down");
}

void session::refuse_connect(protocol_version version, reason_code reason, std::string detail) {
  connack ack;
  ack.reason = reason;
  std::vector<std::uint8_t> bytes;
  encode(ack, version, bytes);
  output_.insert(output_.end(), bytes.begin(), bytes.end());
  close(reason, std::move(detail));  // [MQTT-3.2.2-5]
}

void session::protocol_violation(reason_code reason, std::string detail) {
  // MQTT 5 names the reason before closing [MQTT-4.13.2-1]; earlier levels just close.
  if (version_ == protocol_version::v5) send(disconnect{reason, {}});
  close(reason, std::move(detail));
}

void session::send(const packet& p) {
  if (state_ == session_state::closed) return;
  encode(p, version_.value_or(protocol_version::v3_1_1), output_);
}

void session::close(reason_code reason, std::string detail, bool by_client) {
  if (state_ == session_state::closed) return;
  state_ = session_state::closed;
  close_ = close_info{reason, std::move(detail), by_client};
}

std::vector<std::uint8_t> session::take_output() noexcept {
  std::vector<std::uint8_t> out;
  out.swap(output_);
  return out;
}

void session::recycle_output(std::vector<std::uint8_t>&& buffer) noexcept {
  if (output_.empty() && buffer.capacity() > output_.capacity()) {
    buffer.clear();
    output_.swap(buffer);
  }
}

}  // namespace tern::protocol
