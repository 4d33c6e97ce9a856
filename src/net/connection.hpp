#pragma once
// One client connection: a TCP socket, its Sans-I/O protocol session, one timer and a write pump.
//
// Reads are readiness-based: the connection waits until the socket is readable, then drains it
// into the shard's scratch buffer and feeds the session. Only the tail of a packet that is not
// complete yet is copied into the connection's own buffer, so idle connections hold no read
// buffer at all. Writes: at most one write in flight; everything the session produced meanwhile
// goes out in the next single write, issued after a batch of reads has been handled.
//
// Limits: the bytes waiting for the socket are counted in the memory ledger (max_memory); a
// client whose waiting output stays at max_output_buffer for slow_consumer_timeout is
// disconnected; a connection admitted only to be refused, or arriving above the memory
// ceiling, has its CONNECT answered with a refusal.
//
// Thread: created, used and destroyed on its shard's thread only.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/session.hpp"

namespace tern::net {

class shard;

class connection final : public std::enable_shared_from_this<connection>,
                         public protocol::session_observer {
 public:
  // `pending` holds bytes already read for this client (a CONNECT replayed after a move).
  connection(shard& owner, boost::asio::ip::tcp::socket socket, std::vector<std::uint8_t> pending,
             std::string peer);

  void start();
  // Flushes output produced by other clients' activity (deliveries, takeover).
  void on_output_ready() override;
  void on_limit(protocol::limit_event event, std::string_view detail) override;
  void after_event();
  // The store commit this connection's output waited for may be durable now.
  void on_commit();
  // The store cannot write: drop the output that waits for it and disconnect the client.
  void abandon_held_output();
  // The broker is stopping: say goodbye to the client and close.
  void shut_down();

  const std::string& peer() const noexcept { return peer_; }

 private:
  void wait_readable();
  void on_readable();
  void feed(std::span<const std::uint8_t> bytes);
  void migrate();
  void flush();
  // True while the pending output acknowledges something not yet durable.
  bool output_held() const;
  void update_timer();
  // Keeps the memory ledger and the slow-consumer clock in step with the pending output.
  void track_output(protocol::time_point now);
  std::optional<protocol::time_point> slow_consumer_deadline() const;
  void on_timer();
  void finish();
  void log_state_change();

  shard& shard_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::optional<protocol::time_point> armed_deadline_;
  protocol::session session_;
  protocol::session_phase logged_state_ = protocol::session_phase::awaiting_connect;
  std::vector<std::uint8_t> partial_;  // an incomplete packet carried between reads
  protocol::output_batch writing_;     // the output of the write in flight
  std::vector<boost::asio::const_buffer> gather_;
  bool write_in_flight_ = false;
  bool read_in_flight_ = false;
  bool finished_ = false;
  bool flush_scheduled_ = false;
  bool held_ = false;             // registered with the shard until a commit lets the output go
  std::size_t writing_size_ = 0;  // bytes of the write in flight
  protocol::accounted_bytes output_accounted_;      // output + writing, in the memory ledger
  std::optional<protocol::time_point> full_since_;  // output at max_output_buffer since
  std::string peer_;
};

}  // namespace tern::net
