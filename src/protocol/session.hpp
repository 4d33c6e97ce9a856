#pragma once
// The per-connection MQTT state machine, free of I/O (Sans-I/O).
//
// Model: the transport feeds received bytes, timer expiries and close notices in, each with the
// current time; the session appends encoded packets to its output buffer, asks for the
// connection to be closed, and names the next instant it needs a timer for. It never touches a
// socket or a clock, so tests drive it with scripted bytes and a manual clock, and a fuzzer
// drives it with arbitrary input.
//
// Life cycle: awaiting_connect -> connected -> closed. The first packet must be CONNECT
// [MQTT-3.1.0-1]; a second CONNECT is a protocol error [MQTT-3.1.0-2]. Keep-alive is enforced at
// 1.5 times the negotiated interval [MQTT-3.1.2-24]; a socket that never completes CONNECT is
// closed after the connect timeout.
//
// Thread: owned and touched only by the shard thread that owns the connection.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/decoder.hpp"
#include "codec/packets.hpp"
#include "protocol/settings.hpp"

namespace tern::protocol {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

enum class session_state : std::uint8_t { awaiting_connect, connected, closed };

// Why a session ended; the transport logs it with the client's identity.
struct close_info {
  codec::reason_code reason = codec::reason_code::success;
  std::string detail;
  bool by_client = false;  // the client disconnected or closed its socket
};

class session {
 public:
  session(const session_settings& settings, time_point now);

  // Decodes and handles every complete packet at the front of `bytes`. Returns how many bytes
  // were consumed; the caller keeps the rest (an incomplete packet) and offers it again with
  // more data. Stops early once the session is closed.
  std::size_t on_bytes(std::span<const std::uint8_t> bytes, time_point now);

  // The deadline returned by deadline() may have passed: enforce connect timeout / keep-alive.
  void on_timer(time_point now);

  // The socket was closed or failed underneath us.
  void on_transport_closed(std::string_view detail);

  // The broker is stopping: tell MQTT 5 clients why [MQTT-3.14.2] and close.
  void on_server_shutdown();

  // Encoded packets waiting to be written. The transport takes them with take_output().
  bool has_output() const noexcept { return !output_.empty(); }
  std::vector<std::uint8_t> take_output() noexcept;
  // Lets the transport hand back an emptied buffer so its capacity is reused.
  void recycle_output(std::vector<std::uint8_t>&& buffer) noexcept;

  // True once the connection must be closed after the pending output is flushed.
  bool wants_close() const noexcept { return state_ == session_state::closed; }
  const close_info& close_reason() const noexcept { return close_; }

  // The next instant on_timer() must be called, if any.
  std::optional<time_point> deadline() const noexcept;

  session_state state() const noexcept { return state_; }
  const std::string& client_id() const noexcept { return client_id_; }
  std::optional<codec::protocol_version> version() const noexcept { return version_; }
  std::uint16_t keep_alive() const noexcept { return keep_alive_; }

 private:
  void handle(codec::packet&& packet, time_point now);
  void handle_connect(codec::connect&& connect);
  void handle_disconnect(const codec::disconnect& disconnect);
  void handle_decode_error(const codec::decode_result& result);
  void refuse_connect(codec::protocol_version version, codec::reason_code reason,
                      std::string detail);
  void protocol_violation(codec::reason_code reason, std::string detail);
  void send(const codec::packet& packet);
  void close(codec::reason_code reason, std::string detail, bool by_client = false);

  session_settings settings_;
  session_state state_ = session_state::awaiting_connect;
  std::optional<codec::protocol_version> version_;
  std::string client_id_;
  std::uint16_t keep_alive_ = 0;  // negotiated interval in seconds, 0 = none
  std::uint32_t session_expiry_ = 0;
  time_point connect_deadline_;
  time_point last_packet_;
  std::vector<std::uint8_t> output_;
  close_info close_;
};

}  // namespace tern::protocol
