#pragma once
// One client connection: a byte stream (plain TCP, TLS, WebSocket over either), its Sans-I/O
// protocol session, a place in its shard's deadline_queue and a write pump. The shard sees only
// this interface; the implementation, basic_connection<Stream> in connection.cpp, is compiled once
// per stream type so the plain TCP path calls its socket directly, with no indirection per read or
// write.
//
// Reads are readiness-based: the connection waits until the stream is readable, then drains it
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
#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/client_origin.hpp"
#include "net/deadline_queue.hpp"
#include "net/detached_transport.hpp"
#include "net/tcp_socket.hpp"
#include "net/tls_context.hpp"
#include "net/websocket_settings.hpp"
#include "protocol/session.hpp"

namespace tern::net {

class shard;

// Counted in place (no control block, no weak count): the shard's set, the handlers of pending
// operations and a password check in flight hold references.
class connection : public boost::intrusive_ref_counter<connection>,
                   public protocol::session_observer,
                   public deadline_entry {
 public:
  // The shard's deadline_queue hands a connection's due entry here.
  static void due(deadline_entry& entry) { static_cast<connection&>(entry).on_deadline(); }

  virtual void start() = 0;
  virtual void after_event() = 0;
  // The store commit this connection's output waited for may be durable now.
  virtual void on_commit() = 0;
  // The store cannot write: drop the output that waits for it and disconnect the client.
  virtual void abandon_held_output() = 0;
  // The broker is stopping: say goodbye to the client and close.
  virtual void shut_down() = 0;

 private:
  // The connect timeout, keep-alive, slow-consumer or close-linger deadline has come.
  virtual void on_deadline() = 0;
};

using connection_ptr = boost::intrusive_ptr<connection>;

// `pending` holds bytes already read for this client (a CONNECT replayed after a move);
// `origin` says who the client is when known (a PROXY protocol header, a move; empty: the
// socket's peer).
connection_ptr make_plain_connection(shard& owner, tcp_socket socket,
                                     std::vector<std::uint8_t> pending = {},
                                     client_origin origin = {});
// A freshly accepted TLS client: the handshake runs first, within the connect timeout.
connection_ptr make_tls_connection(shard& owner, tcp_socket socket, tls_profile_ptr profile,
                                   client_origin origin = {});
// A TLS client moved from another shard with its OpenSSL session.
connection_ptr make_tls_connection(shard& owner, tcp_socket socket, detached_tls state,
                                   std::vector<std::uint8_t> pending, client_origin origin);

// A freshly accepted WebSocket client ("ws" when `tls` is null, else "wss"): the TLS handshake and
// the HTTP upgrade run first, within the connect timeout.
connection_ptr make_websocket_connection(shard& owner, tcp_socket socket, tls_profile_ptr tls,
                                         websocket_settings_ptr settings,
                                         client_origin origin = {});
// A WebSocket client moved from another shard: its Beast stream, and its OpenSSL session for wss.
connection_ptr make_websocket_connection(shard& owner, tcp_socket socket,
                                         std::optional<detached_tls> tls,
                                         std::shared_ptr<detached_websocket> websocket,
                                         std::vector<std::uint8_t> pending, client_origin origin);

}  // namespace tern::net
