#pragma once
// One MQTT client connection of the load generator: its own TCP socket, CONNECT/CONNACK, an
// optional SUBSCRIBE/SUBACK exchange (many filters in batches, one SUBSCRIBE at a time), the QoS 1
// and 2 handshakes in both directions, incremental decoding of big reads and coalesced writes (one
// write in flight; everything queued meanwhile goes out in the next one). Single-threaded: every
// call and callback runs on the io_context's thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/decoder.hpp"
#include "codec/packets.hpp"
#include "packet_ids.hpp"
#include "send_times.hpp"

namespace tern::bench {

using bench_clock = std::chrono::steady_clock;

enum class client_role : std::uint8_t { publisher, subscriber };

enum class client_error : std::uint8_t {
  connect_failed,  // TCP connect, CONNACK or SUBACK refused
  disconnected,    // the connection ended while it was in use
  protocol,        // a malformed or unexpected packet, or a negative acknowledgement
};

// The broker's acknowledgement of our PUBLISH: PUBACK (QoS 1), PUBREC then PUBCOMP (QoS 2).
enum class ack_kind : std::uint8_t { puback, pubrec, pubcomp };

class client;

// What a client reports to whoever runs it.
class client_events {
 public:
  virtual ~client_events() = default;
  // CONNACK accepted and, for a subscriber, every SUBACK granted.
  virtual void on_ready(client& c) = 0;
  // An application message arrived (for QoS 2: once, when its PUBLISH arrived).
  virtual void on_message(client& c, const codec::publish& message,
                          bench_clock::time_point now) = 0;
  // A PUBLISH of ours sent at `sent` got a successful acknowledgement of this kind.
  virtual void on_acknowledged(client& c, ack_kind kind, bench_clock::time_point sent,
                               bench_clock::time_point now) = 0;
  // A packet id was released or the write queue drained: publishing may resume.
  virtual void on_capacity(client& c) = 0;
  virtual void on_error(client& c, client_error kind, std::string_view detail) = 0;
  // The socket is closed; no more callbacks for this client.
  virtual void on_closed(client& c) = 0;
};

struct client_settings {
  codec::protocol_version version = codec::protocol_version::v5;
  std::string client_id;
  std::uint16_t keep_alive_s = 60;
  std::vector<codec::subscription> subscriptions;     // subscribers subscribe to these filters
  std::size_t subscribe_batch = 1;                    // filters per SUBSCRIBE packet
  codec::qos publish_qos = codec::qos::at_most_once;  // publishers: checked against Maximum QoS
  bool clean_start = true;
  std::uint32_t session_expiry_s = 0;  // MQTT 5 Session Expiry Interval in CONNECT
  // Bytes read at a time (the buffer grows for larger packets). Small for idle connections, whose
  // buffers would otherwise dominate the generator's memory.
  std::size_t read_chunk = 64 * 1024;
  // Local address to connect from (port chosen at connect time); unset: the kernel's choice.
  std::optional<boost::asio::ip::address> source_address;
};

class client {
 public:
  enum class state : std::uint8_t {
    idle,
    connecting,   // TCP connect in progress
    handshaking,  // CONNECT sent, waiting for CONNACK
    subscribing,  // SUBSCRIBE sent, waiting for SUBACK
    ready,
    closing,  // DISCONNECT sent, waiting for the broker to close
    closed,
  };

  client(boost::asio::io_context& io, client_events& events, client_role role, std::uint32_t index,
         client_settings settings);
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  void start(const boost::asio::ip::tcp::endpoint& broker);

  // Whether publish() with this QoS can proceed now: connected, a packet id within the broker's
  // Receive Maximum is free, and the write queue is not backed up.
  bool can_publish(codec::qos qos_level) const noexcept;
  // Sends the PUBLISH held by `message` (a codec::publish), assigning its packet id for QoS > 0.
  // Call only when can_publish() is true.
  void publish(codec::packet& message);

  // Sends PINGREQ if nothing was sent for half the keep-alive.
  void keep_alive(bench_clock::time_point now);
  // DISCONNECT, then close once the broker closes (or close() is called).
  void disconnect();
  void close();

  client_role role() const noexcept { return role_; }
  std::uint32_t index() const noexcept { return index_; }
  state current_state() const noexcept { return state_; }
  const std::string& id() const noexcept { return settings_.client_id; }
  // Outgoing QoS 1/2 messages not yet fully acknowledged.
  std::size_t inflight() const noexcept { return ids_.size(); }
  // When the first SUBSCRIBE went out and the last SUBACK arrived (unset until then).
  std::optional<bench_clock::time_point> subscribe_started() const noexcept {
    return subscribe_started_;
  }
  std::optional<bench_clock::time_point> subscribe_finished() const noexcept {
    return subscribe_finished_;
  }

 private:
  void on_connect(const boost::system::error_code& ec);
  void read_more();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void handle(const codec::packet& p, bench_clock::time_point now);
  void handle_connack(const codec::connack& ack);
  void handle_suback(const codec::suback& ack);
  void subscribe_next_batch();
  void handle_publish(const codec::publish& message, bench_clock::time_point now);
  void handle_puback(const codec::puback& ack, bench_clock::time_point now);
  void handle_pubrec(const codec::pubrec& ack, bench_clock::time_point now);
  void handle_pubrel(const codec::pubrel& rel);
  void handle_pubcomp(const codec::pubcomp& ack, bench_clock::time_point now);
  void acknowledged(ack_kind kind, std::uint16_t id, bench_clock::time_point now);
  void release_id(std::uint16_t id, std::string_view packet_name);

  void send(const codec::packet& p);
  void schedule_flush();
  void flush();
  void on_written(const boost::system::error_code& ec);
  void fail(client_error kind, std::string_view detail);

  static constexpr std::size_t k_write_high_water = 1024 * 1024;

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  client_events& events_;
  client_role role_;
  std::uint32_t index_;
  client_settings settings_;
  codec::decode_options decode_options_;
  state state_ = state::idle;

  std::vector<std::uint8_t> read_buffer_;
  std::size_t read_length_ = 0;  // bytes of read_buffer_ holding data (a partial packet tail)

  std::vector<std::uint8_t> queued_;   // encoded packets waiting for the next write
  std::vector<std::uint8_t> writing_;  // the write in flight
  bool write_in_flight_ = false;
  bool flush_posted_ = false;
  bench_clock::time_point last_send_{};

  packet_id_set ids_;                 // our PUBLISH and SUBSCRIBE ids in use
  send_times sent_;                   // when our QoS 1/2 PUBLISH packets in flight were sent
  packet_id_set awaiting_release_;    // QoS 2 ids received, PUBREL not yet seen
  std::size_t max_inflight_ = 65535;  // the broker's Receive Maximum (MQTT 5)
  std::uint16_t subscribe_id_ = 0;
  std::size_t subscribed_ = 0;   // filters acknowledged so far
  std::size_t subscribing_ = 0;  // filters in the SUBSCRIBE awaiting its SUBACK
  std::optional<bench_clock::time_point> subscribe_started_;
  std::optional<bench_clock::time_point> subscribe_finished_;
};

}  // namespace tern::bench
