#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <optional>

#include "net/admission.hpp"
#include "net/password_verifier.hpp"
#include "net/plain_stream.hpp"
#include "net/shard.hpp"
#include "net/tls_stream.hpp"
#include "net/websocket_stream.hpp"
#include "protocol/memory_ledger.hpp"
#include "protocol/optional_instant.hpp"

namespace tern::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Reads handled per wake-up before other connections get their turn.
constexpr int k_reads_per_wakeup = 16;
// How long a closing connection may take to flush its last packets.
constexpr auto k_close_linger = std::chrono::seconds(2);

client_origin origin_of(const tcp_socket& socket, client_origin known) {
  if (!known.peer.empty()) return known;
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) {
    known.address = known.peer = "unknown";
    return known;
  }
  auto origin = origin_at(endpoint);
  origin.identity = std::move(known.identity);
  origin.identity_required = known.identity_required;
  return origin;
}

bool is_clean_close(const protocol::close_info& info) {
  return info.by_client || info.reason == codec::reason_code::success ||
         info.reason == codec::reason_code::server_shutting_down;
}

// The connection over one stream type (plain_stream, tls_stream, websocket_stream over either). A
// stream provides read_some / async_wait_readable / async_write / close / detach, and
// k_handshake; one with a handshake also provides k_handshake_name, async_handshake,
// handshake_done, failure, describe and the certificate identity.
template <typename Stream>
class basic_connection final : public connection {
 public:
  basic_connection(shard& owner, Stream stream, std::vector<std::uint8_t> pending,
                   client_origin origin)
      : shard_(owner),
        stream_(std::move(stream)),
        session_(owner.settings(), owner.core(), protocol::clock::now()),
        arrival_(std::make_unique<client_origin>(origin_of(stream_.socket(), std::move(origin)))),
        peer_(arrival_->peer) {
    if (!pending.empty())
      partial_ = std::make_unique<std::vector<std::uint8_t>>(std::move(pending));
    session_.set_observer(this);
    error_code local_ec;
    const auto local = stream_.socket().local_endpoint(local_ec);
    session_.set_transport(!local_ec && shard_.allows_anonymous(local));
  }

  void start() override;
  void on_output_ready() override;
  void on_limit(protocol::limit_event event, std::string_view detail) override;
  void after_event() override;
  void on_commit() override;
  void abandon_held_output() override;
  void shut_down() override;
  std::string source_address() const override {
    return arrival_ ? arrival_->address : peer_address(peer_);
  }

 private:
  void on_deadline() override;
  bool handshaking() const {
    if constexpr (Stream::k_handshake) return !stream_.handshake_done();
    return false;
  }
  void on_handshake(error_code ec);
  void begin_session();
  void refuse_if_over_limits();
  void wait_readable();
  void on_readable();
  void feed(std::span<const std::uint8_t> bytes);
  void migrate();
  // Hands the session's password check, if any, to the workers; the result comes back here.
  void start_password_check();
  void on_password_checked(auth::login_result result);
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
  Stream stream_;
  protocol::session session_;
  // An incomplete packet carried between reads; none while idle.
  std::unique_ptr<std::vector<std::uint8_t>> partial_;
  std::size_t writing_size() const noexcept { return writing_ ? writing_->size : 0; }
  std::unique_ptr<pending_write> writing_;  // the write in flight, if any (from the shard's pool)
  protocol::session_phase logged_state_ = protocol::session_phase::awaiting_connect;
  bool write_in_flight_ = false;
  bool read_in_flight_ = false;
  bool finished_ = false;
  bool flush_scheduled_ = false;
  bool held_ = false;  // registered with the shard until a commit lets the output go
  protocol::accounted_bytes output_accounted_;  // output + writing, in the memory ledger
  protocol::optional_instant full_since_;       // output at max_output_buffer since
  // Who the client is, kept until its session is connected: a move to the shard hosting its
  // client identifier takes it along. Then only the peer is kept, for the log.
  std::unique_ptr<client_origin> arrival_;
  std::string peer_;
};

template <typename Stream>
void basic_connection<Stream>::start() {
  error_code ec;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  stream_.socket().non_blocking(true, ec);
  spdlog::debug("connection from {} on shard {} ({})", peer_, shard_.index(), Stream::k_protocol);
  if constexpr (Stream::k_handshake) {
    if (!stream_.handshake_done()) {
      update_timer();  // the connect timeout covers the handshake
      stream_.async_handshake(
          [this, self = connection_ptr(this)](error_code hec) { on_handshake(hec); });
      return;
    }
  }
  begin_session();
}

template <typename Stream>
void basic_connection<Stream>::on_handshake(error_code ec) {
  if constexpr (Stream::k_handshake) {
    if (finished_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return finish();
      spdlog::log(ec == asio::error::eof ? spdlog::level::info : spdlog::level::warn,
                  "{} handshake with {} failed: {}", Stream::k_handshake_name, peer_,
                  stream_.failure().empty() ? ec.message() : stream_.failure());
      return finish();
    }
    spdlog::debug("{} handshake with {} done: {}", Stream::k_handshake_name, peer_,
                  stream_.describe());
    begin_session();
  }
}

template <typename Stream>
void basic_connection<Stream>::begin_session() {
  if constexpr (Stream::k_handshake) {
    if (stream_.uses_identity()) {
      auto identity = stream_.identity();
      if (!identity) {
        spdlog::warn(
            "{} client {} refused: its certificate names no usable identity for "
            "use_identity_as_username",
            Stream::k_protocol, peer_);
        return finish();
      }
      session_.set_transport_identity(std::move(*identity));
    }
  }
  if (!arrival_) {  // kept until CONNACK; a session starts only before that
    spdlog::error("{} client {} refused: its origin is no longer known", Stream::k_protocol, peer_);
    return finish();
  }
  if (arrival_->identity_required) {
    if (!arrival_->identity) {
      spdlog::warn(
          "{} client {} refused: its PROXY protocol header names no verified client certificate "
          "for use_identity_as_username",
          Stream::k_protocol, peer_);
      return finish();
    }
    session_.set_transport_identity(*arrival_->identity);
  }
  refuse_if_over_limits();
  if (partial_) {
    feed({});
    after_event();
    if (finished_) return;
  }
  wait_readable();
  update_timer();
}

// A connection admitted only to be refused, or arriving above the memory ceiling, gets a
// refusing CONNACK rather than a silent close (see admission.hpp).
template <typename Stream>
void basic_connection<Stream>::refuse_if_over_limits() {
  if (shard_.gate().refused(stream_.socket().native_handle())) {
    session_.refuse_connect_with(codec::reason_code::quota_exceeded,
                                 "the broker is at its connection limit");
  } else if (const auto ceiling = shard_.settings().max_memory;
             ceiling != 0 && protocol::memory_ledger::used() > ceiling) {
    shard_.limits().record(protocol::limit_event::memory_refusal, [&] {
      return fmt::format("refusing connection from {}: {} bytes in use", peer_,
                         protocol::memory_ledger::used());
    });
    session_.refuse_connect_with(codec::reason_code::server_busy, "the broker is short of memory");
  }
}

template <typename Stream>
void basic_connection<Stream>::on_output_ready() {
  if (flush_scheduled_ || finished_) return;
  flush_scheduled_ = true;
  shard_.schedule_flush(connection_ptr(this));
}

template <typename Stream>
void basic_connection<Stream>::on_limit(protocol::limit_event event, std::string_view detail) {
  shard_.limits().record(event, [&] { return fmt::format("{} (address {})", detail, peer_); });
}

template <typename Stream>
void basic_connection<Stream>::wait_readable() {
  // A client that does not read what it asked for is not read from either (back-pressure).
  if (finished_ || read_in_flight_ || session_.wants_close() || session_.output_backlogged() ||
      session_.awaiting_verification()) {
    return;
  }
  read_in_flight_ = true;
  // No reference in the pending wait (every idle connection has one): the shard owns the
  // connection until the wait has ended, see finish(). The handler takes one while it runs, as
  // reading may finish the connection.
  stream_.async_wait_readable([this](error_code ec) {
    const connection_ptr self(this);
    read_in_flight_ = false;
    if (finished_) return shard_.forget(this);
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        session_.on_transport_closed(ec.message(), protocol::clock::now());
      }
      return after_event();
    }
    on_readable();
  });
}

// See plain_stream::k_short_read_drains.
template <typename Stream>
constexpr bool short_read_drains() {
  if constexpr (requires { Stream::k_short_read_drains; }) {
    return Stream::k_short_read_drains;
  } else {
    return false;
  }
}

template <typename Stream>
void basic_connection<Stream>::on_readable() {
  const auto scratch = shard_.scratch();
  for (int i = 0; i < k_reads_per_wakeup && !session_.wants_close() &&
                  !session_.output_backlogged() && !session_.awaiting_verification();
       ++i) {
    error_code ec;
    const std::size_t n = stream_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      session_.on_transport_closed(
          ec == asio::error::eof ? "connection closed by client" : ec.message(),
          protocol::clock::now());
      break;
    }
    shard_.core().traffic().bytes_received.add(n);
    feed(scratch.first(n));
    if (session_.state() == protocol::session_phase::migrating) break;
    if (short_read_drains<Stream>() && n < scratch.size()) break;
  }
  after_event();
  if (!finished_) wait_readable();
}

template <typename Stream>
void basic_connection<Stream>::feed(std::span<const std::uint8_t> bytes) {
  const auto now = protocol::clock::now();
  if (!partial_) {
    if (bytes.empty()) return;
    const std::size_t used = session_.on_bytes(bytes, now);
    if (!session_.wants_close() && used < bytes.size()) {  // keep the tail for the next read
      partial_ = std::make_unique<std::vector<std::uint8_t>>(
          bytes.begin() + static_cast<std::ptrdiff_t>(used), bytes.end());
    }
    return;
  }
  auto& partial = *partial_;
  partial.insert(partial.end(), bytes.begin(), bytes.end());
  const std::size_t used = session_.on_bytes(partial, now);
  partial.erase(partial.begin(), partial.begin() + static_cast<std::ptrdiff_t>(used));
  if (partial.empty()) partial_.reset();  // idle connections hold no buffer
}

template <typename Stream>
void basic_connection<Stream>::after_event() {
  flush_scheduled_ = false;
  if (finished_) return;
  if (session_.state() == protocol::session_phase::migrating) return migrate();
  start_password_check();
  log_state_change();
  flush();
  if (session_.wants_close() && !write_in_flight_ && !output_held()) return finish();
  track_output(protocol::clock::now());
  update_timer();
}

template <typename Stream>
void basic_connection<Stream>::start_password_check() {
  auto check = session_.take_password_check();
  if (!check) return;
  auto self = boost::intrusive_ptr<basic_connection>(this);
  auto executor = stream_.socket().get_executor();
  const bool queued = shard_.verifier().submit(
      std::move(*check), [self = std::move(self), executor](auth::login_result result) mutable {
        asio::post(executor, [self = std::move(self), result = std::move(result)]() mutable {
          self->on_password_checked(std::move(result));
        });
      });
  if (!queued) {
    shard_.limits().record(protocol::limit_event::login_checks_busy, [&] {
      return fmt::format("refusing login from {}: too many password checks pending", peer_);
    });
    session_.on_verification_refused(protocol::clock::now());
  }
}

template <typename Stream>
void basic_connection<Stream>::on_password_checked(auth::login_result result) {
  if (finished_) return;
  session_.on_password_checked(std::move(result), protocol::clock::now());
  feed({});  // packets that arrived behind the CONNECT
  after_event();
  if (!finished_) wait_readable();
}

template <typename Stream>
void basic_connection<Stream>::track_output(protocol::time_point now) {
  const std::size_t pending = session_.output_size() + writing_size();
  output_accounted_.set(pending);
  if (pending < shard_.settings().max_output_buffer || session_.wants_close()) {
    full_since_.reset();
  } else if (!full_since_) {
    full_since_ = now;
  }
}

template <typename Stream>
std::optional<protocol::time_point> basic_connection<Stream>::slow_consumer_deadline() const {
  const auto timeout = shard_.settings().slow_consumer_timeout;
  if (!full_since_ || timeout.count() == 0) return std::nullopt;
  return *full_since_ + timeout;
}

template <typename Stream>
void basic_connection<Stream>::on_commit() {
  held_ = false;
  after_event();
}

template <typename Stream>
void basic_connection<Stream>::abandon_held_output() {
  held_ = false;
  if (finished_) return;
  if (output_held()) session_.on_store_failure(protocol::clock::now());
  after_event();
}

template <typename Stream>
bool basic_connection<Stream>::output_held() const {
  return session_.has_output() && !shard_.core().journal().durable(session_.hold_ticket());
}

template <typename Stream>
void basic_connection<Stream>::flush() {
  if (write_in_flight_ || !session_.has_output() || finished_) return;
  if (output_held()) {
    if (!held_) {
      held_ = true;
      shard_.hold_until_durable(connection_ptr(this));
    }
    return;
  }
  writing_ = shard_.writes().take();
  writing_->batch = session_.take_output_batch();
  const auto& batch = *writing_->batch;
  auto& gather = writing_->gather;
  // One gather write: encoded bytes interleaved with referenced payloads.
  std::size_t pos = 0;
  for (const auto& ref : batch.payloads) {
    gather.emplace_back(batch.bytes.data() + pos, ref.offset - pos);
    gather.emplace_back(ref.owner->payload.data(), ref.owner->payload.size());
    pos = ref.offset;
  }
  gather.emplace_back(batch.bytes.data() + pos, batch.bytes.size() - pos);
  writing_->size = asio::buffer_size(gather);
  write_in_flight_ = true;
  stream_.async_write(gather,
                      [this, self = connection_ptr(this)](error_code ec, std::size_t written) {
                        write_in_flight_ = false;
                        shard_.core().traffic().bytes_sent.add(written);
                        shard_.writes().give_back(std::move(writing_));
                        if (finished_) return;
                        const auto now = protocol::clock::now();
                        if (ec) {
                          session_.on_transport_closed(ec.message(), now);
                        } else {
                          session_.on_output_drained(now);
                        }
                        after_event();
                        if (!finished_) wait_readable();  // resumes a paused reader
                      });
}

template <typename Stream>
void basic_connection<Stream>::update_timer() {
  auto deadline = session_.deadline();
  if (const auto slow = slow_consumer_deadline(); slow && (!deadline || *slow < *deadline)) {
    deadline = slow;
  }
  if (session_.wants_close()) deadline = protocol::clock::now() + k_close_linger;
  if (!deadline) return;
  if (armed() && armed_for() <= *deadline) return;  // fires early, re-arms then
  shard_.deadlines().arm(*this, *deadline);
}

template <typename Stream>
void basic_connection<Stream>::on_deadline() {
  if (finished_) return;
  auto self = connection_ptr(this);  // the connection may finish in there
  on_timer();
}

template <typename Stream>
void basic_connection<Stream>::on_timer() {
  if (session_.wants_close()) return finish();  // the client stopped reading: give up
  const auto now = protocol::clock::now();
  if (const auto slow = slow_consumer_deadline(); slow && now >= *slow) {
    shard_.limits().record(protocol::limit_event::slow_consumer, [&] {
      return fmt::format("client '{}' read nothing of {} bytes for {} ms (address {})",
                         session_.client_id(), session_.output_size() + writing_size(),
                         shard_.settings().slow_consumer_timeout.count(), peer_);
    });
    full_since_.reset();
    session_.on_slow_consumer(now);
    return after_event();
  }
  session_.on_timer(now);
  if (handshaking()) {
    if (!session_.wants_close()) return update_timer();
    spdlog::warn("{} handshake with {} not completed within the connect timeout; closing",
                 Stream::k_handshake_name, peer_);
    return finish();
  }
  after_event();
}

template <typename Stream>
void basic_connection<Stream>::shut_down() {
  if (finished_) return;
  session_.on_server_shutdown(protocol::clock::now());
  after_event();
}

template <typename Stream>
void basic_connection<Stream>::migrate() {
  // The client identifier lives on another shard: hand the stream and the unconsumed bytes
  // (the CONNECT included) over; the session there replays them.
  if (!arrival_) {  // the origin (PROXY identity included) must travel with the client
    spdlog::warn("cannot move connection {} to shard {}: its origin is no longer known", peer_,
                 *session_.migrate_to());
    return finish();
  }
  finished_ = true;
  auto self = connection_ptr(this);
  error_code ec;
  shard_.deadlines().disarm(*this);
  const auto fd = stream_.socket().native_handle();
  auto transport = stream_.detach(ec);
  if (ec) {
    shard_.gate().on_close(fd);  // the descriptor closes with this connection
    spdlog::warn("cannot move connection {} to shard {}: {}", peer_, *session_.migrate_to(),
                 ec.message());
  } else {
    shard_.migrate(*session_.migrate_to(), std::move(transport),
                   partial_ ? std::move(*partial_) : std::vector<std::uint8_t>{},
                   std::move(*arrival_));
  }
  if (!read_in_flight_) shard_.forget(this);  // else once the wait, cancelled by the detach, ends
}

template <typename Stream>
void basic_connection<Stream>::log_state_change() {
  const auto state = session_.state();
  if (state == logged_state_) return;
  if (state == protocol::session_phase::connected) {
    arrival_.reset();
    const auto& username = session_.username();
    spdlog::info("client connected: id={} address={} protocol={} keep_alive={}s transport={}{}",
                 session_.client_id(), peer_,
                 codec::to_string(session_.version().value_or(codec::protocol_version::v3_1_1)),
                 session_.keep_alive(), Stream::k_protocol,
                 username ? fmt::format(" username='{}'{}", *username,
                                        session_.has_transport_identity() ? " (certificate)" : "")
                          : std::string());
  } else if (state == protocol::session_phase::closed) {
    const auto& info = session_.close_reason();
    const auto level = is_clean_close(info) ? spdlog::level::info : spdlog::level::warn;
    spdlog::log(level, "client disconnected: id={} address={} reason=0x{:02x} ({}): {}",
                session_.client_id().empty() ? "<none>" : session_.client_id(), peer_,
                static_cast<unsigned>(info.reason), codec::to_string(info.reason), info.detail);
  }
  logged_state_ = state;
}

template <typename Stream>
void basic_connection<Stream>::finish() {
  if (finished_) return;
  finished_ = true;
  auto self = connection_ptr(this);
  output_accounted_.set(0);
  shard_.gate().on_close(stream_.socket().native_handle());  // before the descriptor is reused
  stream_.close();  // a pending wait ends now (cancelled), and forgets the connection then
  shard_.deadlines().disarm(*this);
  if (!read_in_flight_) shard_.forget(this);
}

}  // namespace

connection_ptr make_websocket_connection(shard& owner, tcp_socket socket, tls_profile_ptr tls,
                                         websocket_settings_ptr settings, client_origin origin) {
  const std::size_t max_message = owner.settings().max_packet_size;
  if (tls) {
    return connection_ptr(new basic_connection<websocket_stream<tls_stream>>(
        owner,
        websocket_stream<tls_stream>(tls_stream(std::move(socket), std::move(tls)),
                                     std::move(settings), max_message),
        std::vector<std::uint8_t>{}, std::move(origin)));
  }
  return connection_ptr(new basic_connection<websocket_stream<plain_stream>>(
      owner,
      websocket_stream<plain_stream>(plain_stream(std::move(socket)), std::move(settings),
                                     max_message),
      std::vector<std::uint8_t>{}, std::move(origin)));
}

connection_ptr make_websocket_connection(shard& owner, tcp_socket socket,
                                         std::optional<detached_tls> tls,
                                         std::shared_ptr<detached_websocket> websocket,
                                         std::vector<std::uint8_t> pending, client_origin origin) {
  if (tls) {
    auto moved =
        std::get<std::shared_ptr<websocket_stream<tls_stream>::beast_stream>>(websocket->stream);
    return connection_ptr(new basic_connection<websocket_stream<tls_stream>>(
        owner,
        websocket_stream<tls_stream>(std::move(moved),
                                     tls_stream(std::move(socket), std::move(*tls))),
        std::move(pending), std::move(origin)));
  }
  auto moved =
      std::get<std::shared_ptr<websocket_stream<plain_stream>::beast_stream>>(websocket->stream);
  return connection_ptr(new basic_connection<websocket_stream<plain_stream>>(
      owner, websocket_stream<plain_stream>(std::move(moved), plain_stream(std::move(socket))),
      std::move(pending), std::move(origin)));
}

connection_ptr make_plain_connection(shard& owner, tcp_socket socket,
                                     std::vector<std::uint8_t> pending, client_origin origin) {
  return connection_ptr(new basic_connection<plain_stream>(owner, plain_stream(std::move(socket)),
                                                           std::move(pending), std::move(origin)));
}

connection_ptr make_tls_connection(shard& owner, tcp_socket socket, tls_profile_ptr profile,
                                   client_origin origin) {
  return connection_ptr(
      new basic_connection<tls_stream>(owner, tls_stream(std::move(socket), std::move(profile)),
                                       std::vector<std::uint8_t>{}, std::move(origin)));
}

connection_ptr make_tls_connection(shard& owner, tcp_socket socket, detached_tls state,
                                   std::vector<std::uint8_t> pending, client_origin origin) {
  return connection_ptr(
      new basic_connection<tls_stream>(owner, tls_stream(std::move(socket), std::move(state)),
                                       std::move(pending), std::move(origin)));
}

}  // namespace tern::net
