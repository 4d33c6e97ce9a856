#pragma once
// The per-connection MQTT state machine, free of I/O (Sans-I/O).
//
// Model: the transport feeds received bytes, timer expiries and close notices in, each with the
// current time; the session appends encoded packets to its output buffer, asks for the
// connection to be closed, and names the next instant it needs a timer for. It never touches a
// socket or a clock, so tests drive it with scripted bytes and a manual clock, and a fuzzer
// drives it with arbitrary input. Routing, subscriptions and session storage go through the
// broker_port interface; the persistent part of the session (session_state) is lent by the core
// while this connection is attached.
//
// Life cycle: awaiting_connect -> connected -> closed, or awaiting_connect -> migrating when the
// client identifier belongs to another shard (the transport then moves the socket and replays
// the CONNECT there). The first packet must be CONNECT [MQTT-3.1.0-1]; a second CONNECT is a
// protocol error [MQTT-3.1.0-2]. Keep-alive is enforced at 1.5 times the negotiated interval
// [MQTT-3.1.2-24]; a socket that never completes CONNECT is closed after the connect timeout.
//
// Thread: owned and touched only by the shard thread that owns the connection.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "auth/scram.hpp"
#include "codec/bare_ack.hpp"
#include "codec/decoder.hpp"
#include "codec/packets.hpp"
#include "codec/topic_rules.hpp"
#include "protocol/broker_port.hpp"
#include "protocol/message.hpp"
#include "protocol/session_state.hpp"
#include "protocol/settings.hpp"

namespace tern::protocol {

enum class session_phase : std::uint8_t { awaiting_connect, connected, migrating, closed };

// Why a session ended; the transport logs it with the client's identity.
struct close_info {
  codec::reason_code reason = codec::reason_code::success;
  std::string detail;
  bool by_client = false;  // the client disconnected or closed its socket
};

class session {
 public:
  // `settings` must outlive the session (the broker's settings are never copied per connection).
  session(const session_settings& settings, broker_port& port, time_point now);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void set_observer(session_observer* observer) noexcept { observer_ = observer; }
  // What the transport knows before CONNECT: whether its listener admits anonymous clients.
  void set_transport(bool allow_anonymous) { allow_anonymous_ = allow_anonymous; }

  // The transport vouches for the client's name (a verified TLS client certificate) before
  // CONNECT is handled: from then on it is the session's username, whatever CONNECT carries.
  void set_transport_identity(std::string username);
  bool has_transport_identity() const noexcept { return transport_identity_; }
  // The client's username: the transport identity when set, otherwise CONNECT's, if any; once
  // CONNECT is accepted with authentication on, the user it authenticated as (none: anonymous).
  const std::optional<std::string>& username() const noexcept {
    if (state_ != nullptr) return state_->identity->username;
    return login_ ? login_->username : no_username();
  }

  // Decodes and handles every complete packet at the front of `bytes`. Returns how many bytes
  // were consumed; the caller keeps the rest (an incomplete packet) and offers it again with
  // more data. Stops early once the session is closed or migrating.
  std::size_t on_bytes(std::span<const std::uint8_t> bytes, time_point now);

  // The deadline returned by deadline() may have passed: enforce connect timeout / keep-alive.
  void on_timer(time_point now);
  // The socket was closed or failed underneath us.
  void on_transport_closed(std::string_view detail, time_point now);
  // The broker is stopping: tell MQTT 5 clients why [MQTT-3.14.2] and close.
  void on_server_shutdown(time_point now);
  // Another connection took this session over [MQTT-3.1.4-3]. Called by the core.
  void on_taken_over(time_point now);
  // The store cannot write and the pending output waits for it: the output is dropped (nothing
  // in it may reach the client) and the client is disconnected, MQTT 5 with 0x97.
  void on_store_failure(time_point now);

  // The transport refuses this connection (connection limit, memory ceiling): its CONNECT is
  // answered with `reason` (3.1/3.1.1: "server unavailable") and the connection closed.
  void refuse_connect_with(codec::reason_code reason, std::string detail);
  // The client's output stayed full for too long: MQTT 5 clients are told 0x97, then closed.
  void on_slow_consumer(time_point now);
  // An operator disconnects the client (admin API): MQTT 5 clients are told 0x98
  // (administrative action), then closed. The will is published, as for any abnormal end.
  void on_admin_disconnect(time_point now);

  // Password checks run off the shard thread. After the CONNECT that needs one, the session
  // reads nothing more until the transport takes the check (take_password_check), runs
  // auth::access_control::check_password elsewhere and hands the result back.
  bool awaiting_verification() const noexcept { return checking_password_; }
  std::optional<tern::auth::password_check> take_password_check() {
    if (!login_ || !login_->password_check) return std::nullopt;
    auto check = std::move(login_->password_check);
    return std::move(*check);
  }
  void on_password_checked(tern::auth::login_result result, time_point now);
  // Too many checks are pending broker-wide: the CONNECT is refused with 0x89 server busy.
  void on_verification_refused(time_point now);

  // The transport wrote the pending output: queued messages may go now.
  void on_output_drained(time_point now);

  // A message for this client, routed by the core. QoS already downgraded to the granted one.
  void deliver(outbound_message out, time_point now);
  // Messages paged out to disk are back in the session's queue (see broker_port::page_in).
  void on_queue_refilled(time_point now);

  // Encoded packets waiting to be written. The transport takes them with take_output().
  bool has_output() const noexcept { return output_ && !output_->empty(); }
  // True while the client is not keeping up: the transport pauses reading from it.
  bool output_backlogged() const noexcept { return output_size() >= settings_.max_output_buffer; }
  // Bytes waiting in the output, referenced payloads included.
  std::size_t output_size() const noexcept { return output_ ? output_->size() : 0; }
  // For the transport: the pending output as a gather list (null when there is none). The
  // transport gives it back to port's outputs() once written.
  output_ptr take_output_batch() noexcept;
  // The pending output as one contiguous buffer (tests, tools).
  std::vector<std::uint8_t> take_output();

  // True once the connection must be closed after the pending output is flushed.
  bool wants_close() const noexcept { return phase_ == session_phase::closed; }
  const close_info& close_reason() const noexcept;
  // Set when phase() is migrating: the shard that hosts this client identifier.
  std::optional<std::size_t> migrate_to() const noexcept {
    return login_ ? login_->migrate_to : std::nullopt;
  }

  // The next instant on_timer() must be called, if any.
  std::optional<time_point> deadline() const noexcept;

  session_phase state() const noexcept { return phase_; }
  const std::string& client_id() const noexcept {
    if (state_ != nullptr) return state_->client_id();
    static const std::string none;
    return login_ ? login_->client_id : none;
  }
  std::optional<codec::protocol_version> version() const noexcept { return version_; }
  std::uint16_t keep_alive() const noexcept { return keep_alive_; }
  // The client's address as the transport named it (empty in tests).
  std::string source_address() const {
    return observer_ != nullptr ? observer_->source_address() : std::string{};
  }
  const session_state* persistent() const noexcept { return state_; }
  // The store commit the pending output waits for (0: none). See session_state::hold_ticket.
  std::uint64_t hold_ticket() const noexcept {
    if (state_ != nullptr) return state_->hold_ticket;
    return login_ ? login_->hold_ticket : 0;
  }

 private:
  void handle(codec::packet&& packet);
  void handle_connect(codec::connect&& connect);
  // Attaches the session and sends CONNACK, once the credentials are accepted.
  void finish_connect(codec::connect&& connect, codec::connack&& ack);
  enum class login_step : std::uint8_t { accepted, refused, checking };
  // Checks the CONNECT's credentials: accepted, refused (at once, or after the delay that slows
  // password guessing), or a password check handed to the transport.
  login_step authenticate(const codec::connect& connect);
  // A failed login: the refusal waits longer with each recent failure from this address.
  void refuse_login_later(codec::reason_code reason, std::string detail);
  // Enhanced authentication (MQTT 5 section 4.12) with SCRAM: the methods Tern can run.
  bool supports_method(std::string_view method);
  void begin_enhanced_auth(codec::connect&& connect, codec::connack&& ack);
  void handle_auth(const codec::auth& auth);
  // Starts a SCRAM exchange from a client-first message; false (and the reason in `detail`)
  // when it cannot go on.
  bool start_scram(std::string_view method, const codec::properties& props, std::string& detail);
  void send_auth(codec::reason_code reason, std::string data);
  void handle_disconnect(const codec::disconnect& disconnect);
  void handle_publish(codec::publish&& publish);
  void handle_puback(std::uint16_t packet_id);
  void handle_pubrec(std::uint16_t packet_id, codec::reason_code reason);
  void handle_pubrel(std::uint16_t packet_id);
  void handle_pubcomp(std::uint16_t packet_id);
  // A bare acknowledgement at the start of `bytes` (see codec/bare_ack.hpp), handled without
  // decoding; false when they start with anything else.
  bool handle_bare_ack(std::span<const std::uint8_t> bytes);
  void handle_subscribe(const codec::subscribe& subscribe);
  void handle_unsubscribe(const codec::unsubscribe& unsubscribe);
  void handle_decode_error(const codec::decode_result& result);

  bool resolve_topic_alias(codec::publish& publish);
  // Applies max_topic_length / max_topic_levels; reports the limit when it bites.
  codec::topic_error check_topic_limits(std::string_view topic, bool filter);
  // Above the memory ceiling a client with output still pending gets no more QoS 0 messages.
  bool shed_for_memory() const noexcept;
  void report_limit(limit_event event, std::string_view detail);
  void route(codec::publish&& publish);
  void resume_session();
  void pump_queue();
  // Appends to the session queue; whatever the queue limits drop is reported to the core.
  void queue_message(outbound_message out);
  // Sends a QoS 1/2 message with a packet identifier (see stored_packet_id) and tracks it in
  // flight.
  void start_delivery(outbound_message out);
  void resend_waiting();
  // How many QoS 1/2 PUBLISHes may be unacknowledged at once.
  std::size_t window() const noexcept {
    return settings_.max_inflight < client_receive_maximum_ ? settings_.max_inflight
                                                            : client_receive_maximum_;
  }
  std::uint16_t allocate_packet_id();
  void apply_outbound_alias(codec::publish& publish);
  // Checks the client's Maximum Packet Size for a PUBLISH whose head starts at `head_start`,
  // then appends or references its payload.
  bool finish_publish(const outbound_message& out, std::size_t head_start, std::size_t size);
  // Encodes a PUBLISH for this client; false when it exceeds the client's Maximum Packet Size.
  bool send_publish(const outbound_message& out, std::uint16_t packet_id, bool dup);

  void refuse_connect(codec::protocol_version version, codec::reason_code reason,
                      std::string detail);
  void protocol_violation(codec::reason_code reason, std::string detail);
  std::optional<std::string> reason_string_for(const std::string& detail) const;
  std::optional<std::string> problem_detail(std::string_view detail) const;
  void send(const codec::packet& packet);
  void send(codec::bare_ack ack);
  void close(codec::reason_code reason, std::string detail, end_kind kind, bool by_client = false);
  void wake();

  const session_settings& settings_;  // the broker's, outlives every session
  broker_port& port_;
  session_observer* observer_ = nullptr;
  session_phase phase_ = session_phase::awaiting_connect;
  std::optional<codec::protocol_version> version_;
  time_point now_;
  session_state* state_ = nullptr;  // lent by the core while connected
  std::uint16_t keep_alive_ = 0;    // negotiated interval in seconds, 0 = none
  std::uint16_t client_receive_maximum_ = 65'535;
  std::uint32_t connect_expiry_ = 0;
  std::optional<std::uint32_t> client_max_packet_size_;
  // Topic aliases, allocated by the first one used: most clients never use any.
  struct alias_tables {
    std::vector<std::string> inbound;  // index = alias
    // Outbound aliases, while the client accepts them (its Topic Alias Maximum): the first
    // topics sent get an alias each; later PUBLISHes to them carry the alias and no topic.
    std::unordered_map<std::string, std::uint16_t> outbound;
  };
  std::unique_ptr<alias_tables> aliases_;
  alias_tables& aliases();
  std::uint16_t client_topic_alias_maximum_ = 0;
  bool problem_information_ = true;  // the client's Request Problem Information
  // Messages resumed from an earlier connection still wait for room in the window: only then
  // does pump_queue() look through the in-flight list for them.
  bool resends_pending_ = false;
  bool inside_input_ = false;        // suppresses wake() while handling our own input
  bool connack_pending_ = false;     // CONNACK is in output_, not yet taken by the transport
  bool transport_identity_ = false;  // username_ came from the transport, not from CONNECT
  bool allow_anonymous_ = true;
  bool checking_password_ = false;  // a password check runs on the workers
  time_point last_packet_;
  output_ptr output_;  // lent by the shard's pool when there is output, given back when taken
  output_batch& output();
  // A refused login whose CONNACK waits (login throttling); input is discarded meanwhile.
  struct delayed_refusal {
    time_point at;
    codec::reason_code reason;
    std::string detail;
  };
  // A CONNECT waiting for its credentials (a password check, a SCRAM exchange). Behind a
  // pointer: a CONNECT and a CONNACK with their properties weigh ~1.6 KB.
  struct parked_login {
    codec::connect connect;
    codec::connack ack;
  };
  // What the session needs only while it has no session state: the login in progress before
  // CONNACK, then (once closed) why and who the client was, for the log. Connected clients, most of
  // a broker's, carry none of it: the state's identity holds their identifier and user.
  struct login_state {
    time_point connect_deadline;
    std::optional<std::string> username;  // the transport's, CONNECT's, then the authenticated
    std::string client_id;                // once closed
    std::uint64_t hold_ticket = 0;        // once closed: kept from the session state
    std::optional<close_info> close;      // set once the session closes
    std::optional<std::size_t> migrate_to;
    // A refusal the transport asked for (connection limit, memory ceiling), given at CONNECT.
    std::optional<std::pair<codec::reason_code, std::string>> transport_refusal;
    std::optional<delayed_refusal> refusal;
    std::unique_ptr<parked_login> parked;
    std::unique_ptr<tern::auth::password_check> password_check;  // until the transport takes it
  };
  std::unique_ptr<login_state> login_;
  static const std::optional<std::string>& no_username() noexcept;
  // The login in progress: present from construction until CONNACK (allocated again if used
  // later, which the protocol rules do not do).
  login_state& login() {
    if (!login_) login_ = std::make_unique<login_state>();
    return *login_;
  }
  bool refusal_pending() const noexcept { return login_ && login_->refusal; }
  bool login_parked() const noexcept { return login_ && login_->parked; }
  // Enhanced authentication, for a client whose CONNECT named a method: the method, and the user
  // the SCRAM exchange in progress (CONNECT or re-authentication) names.
  struct enhanced_auth {
    std::string method;
    std::string scram_user;
    std::unique_ptr<tern::auth::scram_exchange> scram;  // the exchange in progress, if any
  };
  std::unique_ptr<enhanced_auth> auth_;
  const std::string& auth_method() const noexcept;
  tern::auth::scram_exchange* scram() const noexcept {
    return auth_ ? auth_->scram.get() : nullptr;
  }
  void end_scram() noexcept {
    if (auth_) auth_->scram.reset();
  }
};

}  // namespace tern::protocol
