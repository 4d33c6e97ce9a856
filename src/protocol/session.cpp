#include "protocol/session.hpp"

#include <fmt/format.h>

#include "codec/encoder.hpp"
#include "codec/topic_rules.hpp"
#include "protocol/memory_ledger.hpp"

namespace tern::protocol {

using namespace codec;

namespace {

constexpr std::size_t k_v31_max_client_id = 23;
constexpr std::uint32_t k_never_expires = 0xFFFF'FFFF;

// 1.5 times the keep-alive, in milliseconds [MQTT-3.1.2-24].
std::chrono::milliseconds keep_alive_grace(std::uint16_t keep_alive) {
  return std::chrono::milliseconds{static_cast<std::int64_t>(keep_alive) * 1500};
}

}  // namespace

session::session(const session_settings& settings, broker_port& port, time_point now)
    : settings_(settings),
      port_(port),
      now_(now),
      last_packet_(now),
      login_(std::make_unique<login_state>()) {
  login_->connect_deadline = now + settings.connect_timeout;
}

const std::optional<std::string>& session::no_username() noexcept {
  static const std::optional<std::string> none;
  return none;
}

session::~session() {
  // A connection torn down without a close notice still ends its session properly.
  if (state_ != nullptr) {
    auto* state = state_;
    state_ = nullptr;
    state->attached = nullptr;
    port_.detach(*state, end_kind::with_will, now_);
  }
}

std::size_t session::on_bytes(std::span<const std::uint8_t> bytes, time_point now) {
  now_ = now;
  // A client awaiting its delayed refusal is not listened to (a refusal decided after a password
  // check finds the packets that followed CONNECT here).
  if (refusal_pending()) return bytes.size();
  inside_input_ = true;
  std::size_t consumed = 0;
  decode_options options;
  options.max_packet_size = settings_.max_packet_size;
  while (phase_ == session_phase::awaiting_connect || phase_ == session_phase::connected) {
    if (consumed == bytes.size()) break;
    if (phase_ == session_phase::connected && handle_bare_ack(bytes.subspan(consumed))) {
      last_packet_ = now;
      consumed += 4;
      continue;
    }
    options.version = version_;
    auto result = decode(bytes.subspan(consumed), options);
    if (result.status == decode_status::need_more) break;
    if (result.status == decode_status::error) {
      handle_decode_error(result);
      break;
    }
    last_packet_ = now;
    handle(std::move(result.value));
    if (refusal_pending()) {
      consumed = bytes.size();  // nothing more is read from a client awaiting its refusal
      break;
    }
    // A CONNECT handed to another shard is replayed there: leave its bytes unconsumed.
    if (phase_ == session_phase::migrating) break;
    consumed += result.consumed;
    // What follows waits until the password check resumes this CONNECT.
    if (awaiting_verification()) break;
  }
  inside_input_ = false;
  return consumed;
}

void session::handle_decode_error(const decode_result& result) {
  const auto reason = to_reason_code(result.error);
  auto detail = fmt::format("{}{}{}", to_string(result.error), result.type ? " in " : "",
                            result.type ? to_string(*result.type) : "");
  if (phase_ == session_phase::awaiting_connect && login_parked()) {
    login().parked.reset();
    return refuse_connect(protocol_version::v5, reason, std::move(detail));
  }
  if (phase_ == session_phase::awaiting_connect) {
    if (result.type && *result.type != packet_type::connect) {
      return close(reason_code::protocol_error,
                   fmt::format("first packet is {}, not CONNECT", to_string(*result.type)),
                   end_kind::with_will);
    }
    if (result.error == decode_error::unsupported_protocol_version) {
      // Answer in the 3.1.1 format every client understands [MQTT-3.1.2-2].
      return refuse_connect(protocol_version::v3_1_1, reason, std::move(detail));
    }
    // An MQTT 5 client hears why its CONNECT failed; earlier levels just lose the connection.
    if (result.version == protocol_version::v5) {
      return refuse_connect(protocol_version::v5, reason, std::move(detail));
    }
    return close(reason, std::move(detail), end_kind::with_will);
  }
  protocol_violation(reason, std::move(detail));
}

bool session::handle_bare_ack(std::span<const std::uint8_t> bytes) {
  const auto ack = read_bare_ack(bytes);
  if (!ack) return false;
  port_.traffic().packets_received.add();
  switch (ack->type) {
    case packet_type::puback:
      handle_puback(ack->packet_id);
      break;
    case packet_type::pubrec:
      handle_pubrec(ack->packet_id, reason_code::success);
      break;
    case packet_type::pubrel:
      handle_pubrel(ack->packet_id);
      break;
    default:
      handle_pubcomp(ack->packet_id);
      break;
  }
  return true;
}

void session::handle(packet&& p) {
  const auto type = type_of(p);
  auto& traffic = port_.traffic();
  traffic.packets_received.add();
  if (const auto* pub = std::get_if<publish>(&p)) {
    const auto q = static_cast<std::size_t>(pub->qos_level);
    traffic.publish_received[q].add();
    traffic.payload_bytes_received[q].add(pub->payload.size());
  }
  if (phase_ == session_phase::awaiting_connect) {
    if (login_parked()) {
      // Between CONNECT and CONNACK an authenticating client sends only AUTH or DISCONNECT
      // [MQTT-3.1.2-30].
      if (type == packet_type::auth) return handle_auth(std::get<codec::auth>(p));
      if (type == packet_type::disconnect) {
        return close(reason_code::success, "client sent DISCONNECT during authentication",
                     end_kind::normal, true);
      }
      login().parked.reset();
      return refuse_connect(protocol_version::v5, reason_code::protocol_error,
                            fmt::format("{} during enhanced authentication", to_string(type)));
    }
    if (type != packet_type::connect) {
      return close(reason_code::protocol_error,
                   fmt::format("first packet is {}, not CONNECT", to_string(type)),
                   end_kind::with_will);
    }
    return handle_connect(std::get<connect>(std::move(p)));
  }
  switch (type) {
    case packet_type::publish:
      return handle_publish(std::get<publish>(std::move(p)));
    case packet_type::puback:
      return handle_puback(std::get<puback>(p).packet_id);
    case packet_type::pubrec:
      return handle_pubrec(std::get<pubrec>(p).packet_id, std::get<pubrec>(p).reason);
    case packet_type::pubrel:
      return handle_pubrel(std::get<pubrel>(p).packet_id);
    case packet_type::pubcomp:
      return handle_pubcomp(std::get<pubcomp>(p).packet_id);
    case packet_type::subscribe:
      return handle_subscribe(std::get<subscribe>(p));
    case packet_type::unsubscribe:
      return handle_unsubscribe(std::get<unsubscribe>(p));
    case packet_type::pingreq:
      return send(pingresp{});
    case packet_type::disconnect:
      return handle_disconnect(std::get<disconnect>(p));
    case packet_type::connect:
      return protocol_violation(reason_code::protocol_error, "second CONNECT");
    case packet_type::auth:
      if (auth_) return handle_auth(std::get<codec::auth>(p));
      // The connection used no enhanced authentication: a method named in AUTH is one Tern
      // does not support; AUTH without one, on a connection that used none, is a protocol error.
      if (std::get<codec::auth>(p).props.authentication_method) {
        return protocol_violation(reason_code::bad_authentication_method,
                                  "no enhanced authentication method is configured");
      }
      return protocol_violation(reason_code::protocol_error,
                                "AUTH without enhanced authentication in progress");
    case packet_type::connack:
    case packet_type::suback:
    case packet_type::unsuback:
    case packet_type::pingresp:
      return protocol_violation(reason_code::protocol_error,
                                fmt::format("{} is only sent by servers", to_string(type)));
  }
}

void session::set_transport_identity(std::string username) {
  login().username = std::move(username);
  transport_identity_ = true;
}

void session::handle_connect(connect&& c) {
  version_ = c.version;
  if (!transport_identity_) login().username = c.username;  // authenticate() still reads CONNECT's
  const bool v5 = c.version == protocol_version::v5;
  connack ack;

  if (c.client_id.empty() && (c.version == protocol_version::v3_1 || (!v5 && !c.clean_start))) {
    // 3.1 requires an identifier; 3.1.1 only allows an empty one with a clean session
    // [MQTT-3.1.3-8]. MQTT 5 gets one assigned [MQTT-3.2.2-16].
    return refuse_connect(c.version, reason_code::client_identifier_not_valid,
                          "empty client identifier without a clean session");
  }
  if (c.version == protocol_version::v3_1 && settings_.strict_v31_client_id_length &&
      c.client_id.size() > k_v31_max_client_id) {
    return refuse_connect(c.version, reason_code::client_identifier_not_valid,
                          "MQTT 3.1 client identifier longer than 23 bytes");
  }
  if (login().transport_refusal) {
    auto [reason, detail] = std::move(*login().transport_refusal);
    login().transport_refusal.reset();
    return refuse_connect(c.version, reason, std::move(detail));
  }
  if (c.will && check_topic_limits(c.will->topic, false) != topic_error::none) {
    return refuse_connect(c.version, reason_code::topic_name_invalid,
                          "will topic beyond the broker's topic limits");
  }
  if (v5 && c.props.authentication_method && !supports_method(*c.props.authentication_method)) {
    return refuse_connect(
        c.version, reason_code::bad_authentication_method,
        fmt::format("authentication method '{}' is not supported", *c.props.authentication_method));
  }

  if (!settings_.server_reference.empty()) {
    connack redirect;
    redirect.reason =
        settings_.server_moved ? reason_code::server_moved : reason_code::use_another_server;
    if (v5) redirect.props.server_reference = settings_.server_reference;
    encode(redirect, c.version, output().bytes);
    return close(redirect.reason, fmt::format("redirected to {}", settings_.server_reference),
                 end_kind::normal);
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

  // Session expiry: MQTT 5 says it; 3.1.1 persistent sessions never expire, capped by config.
  std::uint32_t expiry =
      v5 ? c.props.session_expiry_interval.value_or(0) : (c.clean_start ? 0 : k_never_expires);
  if (expiry > settings_.max_session_expiry) {
    expiry = settings_.max_session_expiry;
    if (v5) ack.props.session_expiry_interval = expiry;
  }
  connect_expiry_ = expiry;
  if (v5) {
    client_receive_maximum_ = c.props.receive_maximum.value_or(65'535);
    client_max_packet_size_ = c.props.maximum_packet_size;
    client_topic_alias_maximum_ = c.props.topic_alias_maximum.value_or(0);
    problem_information_ = c.props.request_problem_information.value_or(1) == 1;
  }

  if (auto host = port_.host_elsewhere(c.client_id)) {
    phase_ = session_phase::migrating;
    login().migrate_to = host;
    return;
  }
  if (v5 && c.props.authentication_method) return begin_enhanced_auth(std::move(c), std::move(ack));
  switch (authenticate(c)) {
    case login_step::accepted:
      return finish_connect(std::move(c), std::move(ack));
    case login_step::refused:
      return;
    case login_step::checking:
      login().parked = std::make_unique<parked_login>(parked_login{std::move(c), std::move(ack)});
      return;
  }
}

void session::finish_connect(connect&& c, connack&& ack) {
  const bool v5 = c.version == protocol_version::v5;
  const auto expiry = connect_expiry_;
  std::string client_id = c.client_id;
  const bool assigned = client_id.empty();
  const auto result = port_.attach(*this, c, client_id, expiry, now_);
  if (result.migrate_to) {
    phase_ = session_phase::migrating;
    login().migrate_to = result.migrate_to;
    return;
  }
  if (result.state == nullptr) {
    return refuse_connect(c.version, result.refusal, "refused by the broker");
  }
  state_ = result.state;
  state_->attached = this;
  state_->version = c.version;
  state_->will = c.will ? std::make_unique<will_message>(std::move(*c.will)) : nullptr;
  // The state's identity holds the identifier and the user from now on.
  login_.reset();

  if (v5) {
    if (assigned) ack.props.assigned_client_identifier = std::move(client_id);
    if (settings_.max_packet_size < k_max_packet_size) {
      ack.props.maximum_packet_size = settings_.max_packet_size;
    }
    if (settings_.receive_maximum < 65'535) ack.props.receive_maximum = settings_.receive_maximum;
    if (settings_.topic_alias_maximum > 0) {
      ack.props.topic_alias_maximum = settings_.topic_alias_maximum;
    }
  }
  ack.session_present = result.session_present;
  phase_ = session_phase::connected;
  port_.traffic().connections.add();
  send(ack);
  connack_pending_ = true;
  resume_session();
}

void session::handle_disconnect(const disconnect& d) {
  if (version_ == protocol_version::v5 && d.props.session_expiry_interval) {
    if (connect_expiry_ == 0 && *d.props.session_expiry_interval != 0) {
      // A session that was to end with the connection cannot be prolonged now [MQTT-3.14.2-2].
      return protocol_violation(reason_code::protocol_error,
                                "DISCONNECT raises a zero session expiry interval");
    }
    if (state_ != nullptr) {
      state_->expiry_interval =
          std::min(*d.props.session_expiry_interval, settings_.max_session_expiry);
    }
  }
  // Only a normal disconnection (0x00) discards the will [MQTT-3.1.2-10]; 0x04 and every error
  // reason publish it.
  const auto kind = d.reason == reason_code::success ? end_kind::normal : end_kind::with_will;
  close(d.reason, fmt::format("client sent DISCONNECT ({})", to_string(d.reason)), kind, true);
}

void session::handle_subscribe(const subscribe& s) {
  const bool v5 = version_ == protocol_version::v5;
  std::optional<std::uint32_t> identifier;
  if (!s.props.subscription_identifiers.empty()) identifier = s.props.subscription_identifiers[0];
  suback ack;
  ack.packet_id = s.packet_id;
  std::vector<const subscription*> retained_wanted;
  std::size_t failed_filters = 0;
  for (const auto& sub : s.subscriptions) {
    if (auto error = check_topic_limits(sub.filter, true); error != topic_error::none) {
      ++failed_filters;
      ack.reasons.push_back(v5 ? reason_code::topic_filter_invalid
                               : reason_code::unspecified_error);
      continue;
    }
    if (state_->subscriptions.size() >= settings_.max_subscriptions_per_session &&
        !state_->subscriptions.contains(sub.filter)) {
      ++failed_filters;
      ack.reasons.push_back(v5 ? reason_code::quota_exceeded : reason_code::unspecified_error);
      continue;
    }
    const auto result = port_.subscribe(*state_, sub, identifier);
    if (is_error(result.reason)) {
      ++failed_filters;
      ack.reasons.push_back(v5 ? result.reason : reason_code::unspecified_error);
      continue;
    }
    ack.reasons.push_back(result.reason);
    const bool shared = !split_shared_filter(sub.filter).share_name.empty();
    const auto handling = sub.options.retain;
    // No retained messages for shared subscriptions [MQTT-4.8.2-?]; Retain Handling rules
    // [MQTT-3.3.1-9..11].
    if (!shared && (handling == retain_handling::send_on_subscribe ||
                    (handling == retain_handling::send_if_new_subscription && !result.existed))) {
      retained_wanted.push_back(&sub);
    }
  }
  if (failed_filters > 0) {
    ack.props.reason_string =
        problem_detail("invalid topic filter, too many subscriptions or not authorized");
  }
  send(ack);
  for (const auto* sub : retained_wanted) port_.send_retained(*this, *sub, identifier, now_);
}

void session::handle_unsubscribe(const unsubscribe& u) {
  unsuback ack;
  ack.packet_id = u.packet_id;
  for (const auto& filter : u.filters) {
    if (check_topic_limits(filter, true) != topic_error::none) {
      ack.reasons.push_back(reason_code::topic_filter_invalid);
      continue;
    }
    ack.reasons.push_back(port_.unsubscribe(*state_, filter)
                              ? reason_code::success
                              : reason_code::no_subscription_existed);
  }
  send(ack);
}

void session::on_timer(time_point now) {
  now_ = now;
  if (refusal_pending()) {
    if (now < login_->refusal->at) return;
    auto refusal = std::move(*login_->refusal);
    login_->refusal.reset();
    return refuse_connect(version_.value_or(protocol_version::v3_1_1), refusal.reason,
                          std::move(refusal.detail));
  }
  if (phase_ == session_phase::awaiting_connect && login_ && now >= login_->connect_deadline) {
    return close(reason_code::maximum_connect_time,
                 login_parked() ? "authentication not completed within the connect timeout"
                                : "no CONNECT within the connect timeout",
                 end_kind::with_will);
  }
  if (phase_ == session_phase::connected && keep_alive_ != 0 &&
      now >= last_packet_ + keep_alive_grace(keep_alive_)) {
    if (version_ == protocol_version::v5) send(disconnect{reason_code::keep_alive_timeout, {}});
    close(reason_code::keep_alive_timeout,
          fmt::format("nothing received for 1.5 x keep-alive ({} s)", keep_alive_),
          end_kind::with_will);
  }
}

std::optional<time_point> session::deadline() const noexcept {
  switch (phase_) {
    case session_phase::awaiting_connect:
      if (!login_) return std::nullopt;
      return login_->refusal ? login_->refusal->at : login_->connect_deadline;
    case session_phase::connected:
      if (keep_alive_ == 0) return std::nullopt;
      return last_packet_ + keep_alive_grace(keep_alive_);
    case session_phase::migrating:
    case session_phase::closed:
      return std::nullopt;
  }
  return std::nullopt;
}

void session::on_transport_closed(std::string_view detail, time_point now) {
  now_ = now;
  close(reason_code::unspecified_error, std::string(detail), end_kind::with_will, true);
}

void session::on_server_shutdown(time_point now) {
  now_ = now;
  if (phase_ == session_phase::connected && version_ == protocol_version::v5) {
    send(disconnect{reason_code::server_shutting_down, {}});
  }
  close(reason_code::server_shutting_down, "server shutting down", end_kind::with_will);
}

void session::on_store_failure(time_point now) {
  now_ = now;
  const bool connack_sent = !connack_pending_;
  port_.outputs().give_back(std::move(output_));
  connack_pending_ = false;
  // Without its CONNACK the client may not see a DISCONNECT: it is just closed.
  if (connack_sent && phase_ == session_phase::connected && version_ == protocol_version::v5) {
    disconnect d{reason_code::quota_exceeded, {}};
    d.props.reason_string = reason_string_for("the broker cannot store messages right now");
    send(d);
  }
  close(reason_code::quota_exceeded, "the store cannot write: unacknowledged, disconnected",
        end_kind::with_will);
  if (login_) login_->hold_ticket = 0;  // what is left (the DISCONNECT) acknowledges nothing
}

void session::refuse_connect_with(reason_code reason, std::string detail) {
  login().transport_refusal.emplace(reason, std::move(detail));
}

void session::on_slow_consumer(time_point now) {
  now_ = now;
  if (phase_ == session_phase::connected && version_ == protocol_version::v5) {
    // Queued behind what the client is not reading, so it may never arrive; sent all the same.
    disconnect d{reason_code::quota_exceeded, {}};
    d.props.reason_string = reason_string_for("the client does not read its messages");
    send(d);
  }
  close(reason_code::quota_exceeded, "slow consumer: output stayed full", end_kind::with_will);
}

void session::on_admin_disconnect(time_point now) {
  now_ = now;
  if (phase_ == session_phase::connected && version_ == protocol_version::v5) {
    disconnect d{reason_code::administrative_action, {}};
    d.props.reason_string = reason_string_for("disconnected by an administrator");
    send(d);
  }
  close(reason_code::administrative_action, "disconnected through the admin API",
        end_kind::with_will);
  wake();
}

topic_error session::check_topic_limits(std::string_view topic, bool filter) {
  const topic_limits limits{settings_.max_topic_length, settings_.max_topic_levels};
  const auto error =
      filter ? validate_topic_filter(topic, limits) : validate_topic_name(topic, limits);
  if (error == topic_error::too_long || error == topic_error::too_many_levels) {
    report_limit(
        filter ? limit_event::filter_refused : limit_event::topic_refused,
        fmt::format("{} ({} bytes) from client '{}'", to_string(error), topic.size(), client_id()));
  }
  return error;
}

bool session::shed_for_memory() const noexcept {
  // "Slow": k_slow_output bytes are already waiting for this client. Consumers that keep up
  // keep their QoS 0 messages.
  constexpr std::size_t k_slow_output = 64 * 1024;
  return settings_.max_memory != 0 && output_size() >= k_slow_output &&
         memory_ledger::used() > settings_.max_memory;
}

void session::report_limit(limit_event event, std::string_view detail) {
  if (observer_ != nullptr) observer_->on_limit(event, detail);
}

void session::on_taken_over(time_point now) {
  now_ = now;
  if (version_ == protocol_version::v5) send(disconnect{reason_code::session_taken_over, {}});
  close(reason_code::session_taken_over, "another connection took over the session",
        end_kind::taken_over);
  wake();
}

std::optional<std::string> session::problem_detail(std::string_view detail) const {
  // Reason strings on acknowledgements only when the client asked for problem information
  // [MQTT-3.1.2-29], and only for MQTT 5.
  if (version_ != protocol_version::v5 || !problem_information_) return std::nullopt;
  return reason_string_for(std::string(detail));
}

std::optional<std::string> session::reason_string_for(const std::string& detail) const {
  // Omitted when it would make the packet larger than the client accepts [MQTT-3.1.2-25].
  constexpr std::size_t k_overhead = 16;
  if (client_max_packet_size_ && detail.size() + k_overhead > *client_max_packet_size_) {
    return std::nullopt;
  }
  return detail;
}

void session::refuse_connect(protocol_version version, reason_code reason, std::string detail) {
  connack ack;
  ack.reason = reason;
  if (version == protocol_version::v5) ack.props.reason_string = reason_string_for(detail);
  encode(ack, version, output().bytes);
  close(reason, std::move(detail), end_kind::with_will);  // [MQTT-3.2.2-5]
}

void session::protocol_violation(reason_code reason, std::string detail) {
  // MQTT 5 names the reason before closing [MQTT-4.13.2-1]; earlier levels just close.
  if (version_ == protocol_version::v5) {
    disconnect d{reason, {}};
    d.props.reason_string = reason_string_for(detail);  // allowed on DISCONNECT [MQTT-3.1.2-29]
    send(d);
  }
  close(reason, std::move(detail), end_kind::with_will);
}

void session::send(const packet& p) {
  if (phase_ == session_phase::closed) return;
  port_.traffic().packets_sent.add();
  encode(p, version_.value_or(protocol_version::v3_1_1), output().bytes);
}

void session::send(bare_ack ack) {
  if (phase_ == session_phase::closed) return;
  port_.traffic().packets_sent.add();
  write_bare_ack(ack, output().bytes);
}

void session::close(reason_code reason, std::string detail, end_kind kind, bool by_client) {
  if (phase_ == session_phase::closed) return;
  phase_ = session_phase::closed;
  auto* state = state_;
  if (state != nullptr) {
    // Who the client was, for the log, and what its last output waits for, once the state is
    // gone.
    login_ = std::make_unique<login_state>();
    login_->hold_ticket = state->hold_ticket;
    login_->client_id = state->client_id();
    login_->username = state->identity->username;
  }
  login().close = close_info{reason, std::move(detail), by_client};
  if (state != nullptr) {
    state_ = nullptr;
    state->attached = nullptr;
    // On takeover the core has already handed the state to the new connection.
    if (kind != end_kind::taken_over) port_.detach(*state, kind, now_);
  }
}

void session::wake() {
  if (!inside_input_ && observer_ != nullptr) observer_->on_output_ready();
}

output_ptr session::take_output_batch() noexcept {
  connack_pending_ = false;
  return std::move(output_);
}

std::vector<std::uint8_t> session::take_output() {
  auto batch = take_output_batch();
  if (!batch) return {};
  std::vector<std::uint8_t> flat;
  std::size_t pos = 0;
  for (const auto& ref : batch->payloads) {
    flat.insert(flat.end(), batch->bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                batch->bytes.begin() + static_cast<std::ptrdiff_t>(ref.offset));
    flat.insert(flat.end(), ref.owner->payload.begin(), ref.owner->payload.end());
    pos = ref.offset;
  }
  flat.insert(flat.end(), batch->bytes.begin() + static_cast<std::ptrdiff_t>(pos),
              batch->bytes.end());
  port_.outputs().give_back(std::move(batch));
  return flat;
}

const close_info& session::close_reason() const noexcept {
  static const close_info open;  // not closed
  return login_ && login_->close ? *login_->close : open;
}

output_batch& session::output() {
  if (!output_) output_ = port_.outputs().lend();
  return *output_;
}

}  // namespace tern::protocol
