#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/write.hpp>
#include <chrono>

#include "net/shard.hpp"

namespace tern::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Reads handled per wake-up before other connections get their turn.
constexpr int k_reads_per_wakeup = 16;
// How long a closing connection may take to flush its last packets.
constexpr auto k_close_linger = std::chrono::seconds(2);

std::string describe_peer(const asio::ip::tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

bool is_clean_close(const protocol::close_info& info) {
  return info.by_client || info.reason == codec::reason_code::success ||
         info.reason == codec::reason_code::server_shutting_down;
}

}  // namespace

connection::connection(shard& owner, asio::ip::tcp::socket socket,
                       std::vector<std::uint8_t> pending, std::string peer)
    : shard_(owner),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      session_(owner.settings(), owner.core(), protocol::clock::now()),
      partial_(std::move(pending)),
      peer_(peer.empty() ? describe_peer(socket_) : std::move(peer)) {
  session_.set_observer(this);
  error_code remote_ec;
  error_code local_ec;
  const auto remote = socket_.remote_endpoint(remote_ec);
  const auto local = socket_.local_endpoint(local_ec);
  session_.set_transport(remote_ec ? std::string("unknown") : remote.address().to_string(),
                         !local_ec && shard_.allows_anonymous(local));
}

void connection::start() {
  error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  spdlog::debug("connection from {} on shard {}", peer_, shard_.index());
  if (!partial_.empty()) {
    feed({});
    after_event();
    if (finished_) return;
  }
  wait_readable();
  update_timer();
}

void connection::on_output_ready() {
  if (flush_scheduled_ || finished_) return;
  flush_scheduled_ = true;
  shard_.schedule_flush(shared_from_this());
}

void connection::wait_readable() {
  // A client that does not read what it asked for is not read from either (back-pressure).
  if (read_in_flight_ || session_.wants_close() || session_.output_backlogged()) return;
  read_in_flight_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    self->read_in_flight_ = false;
    if (self->finished_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        self->session_.on_transport_closed(ec.message(), protocol::clock::now());
      }
      return self->after_event();
    }
    self->on_readable();
  });
}

void connection::on_readable() {
  const auto scratch = shard_.scratch();
  for (int i = 0;
       i < k_reads_per_wakeup && !session_.wants_close() && !session_.output_backlogged(); ++i) {
    error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(scratch.data(), scratch.size()), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      session_.on_transport_closed(
          ec == asio::error::eof ? "connection closed by client" : ec.message(),
          protocol::clock::now());
      break;
    }
    feed(scratch.first(n));
    if (session_.state() == protocol::session_phase::migrating) break;
  }
  after_event();
  if (!finished_) wait_readable();
}

void connection::feed(std::span<const std::uint8_t> bytes) {
  const auto now = protocol::clock::now();
  if (partial_.empty()) {
    if (bytes.empty()) return;
    const std::size_t used = session_.on_bytes(bytes, now);
    if (!session_.wants_close() && used < bytes.size()) {  // keep the tail for the next read
      partial_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(used), bytes.end());
    }
    return;
  }
  partial_.insert(partial_.end(), bytes.begin(), bytes.end());
  const std::size_t used = session_.on_bytes(partial_, now);
  partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(used));
  if (partial_.empty()) partial_.shrink_to_fit();  // idle connections hold no buffer
}

void connection::after_event() {
  flush_scheduled_ = false;
  if (finished_) return;
  if (session_.state() == protocol::session_phase::migrating) return migrate();
  log_state_change();
  flush();
  if (session_.wants_close() && !write_in_flight_ && !output_held()) return finish();
  update_timer();
}

void connection::on_commit() {
  held_ = false;
  after_event();
}

void connection::abandon_held_output() {
  held_ = false;
  if (finished_) return;
  if (output_held()) session_.on_store_failure(protocol::clock::now());
  after_event();
}

bool connection::output_held() const {
  return session_.has_output() && !shard_.core().journal().durable(session_.hold_ticket());
}

void connection::flush() {
  if (write_in_flight_ || !session_.has_output() || finished_) return;
  if (output_held()) {
    if (!held_) {
      held_ = true;
      shard_.hold_until_durable(shared_from_this());
    }
    return;
  }
  writing_ = session_.take_output_batch();
  // One gather write: encoded bytes interleaved with referenced payloads.
  gather_.clear();
  std::size_t pos = 0;
  for (const auto& ref : writing_.payloads) {
    gather_.emplace_back(writing_.bytes.data() + pos, ref.offset - pos);
    gather_.emplace_back(ref.owner->payload.data(), ref.owner->payload.size());
    pos = ref.offset;
  }
  gather_.emplace_back(writing_.bytes.data() + pos, writing_.bytes.size() - pos);
  write_in_flight_ = true;
  asio::async_write(socket_, gather_, [self = shared_from_this()](error_code ec, std::size_t) {
    self->write_in_flight_ = false;
    if (self->finished_) return;
    self->session_.recycle_output(std::move(self->writing_.bytes));
    self->writing_.payloads.clear();
    const auto now = protocol::clock::now();
    if (ec) {
      self->session_.on_transport_closed(ec.message(), now);
    } else {
      self->session_.on_output_drained(now);
    }
    self->after_event();
    if (!self->finished_) self->wait_readable();  // resumes a paused reader
  });
}

void connection::update_timer() {
  auto deadline = session_.deadline();
  if (session_.wants_close()) deadline = protocol::clock::now() + k_close_linger;
  if (!deadline) return;
  if (armed_deadline_ && *armed_deadline_ <= *deadline) return;  // fires early, re-arms then
  armed_deadline_ = deadline;
  timer_.expires_at(*deadline);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->finished_) return;
    self->armed_deadline_.reset();
    self->on_timer();
  });
}

void connection::on_timer() {
  if (session_.wants_close()) return finish();  // the client stopped reading: give up
  session_.on_timer(protocol::clock::now());
  after_event();
}

void connection::shut_down() {
  if (finished_) return;
  session_.on_server_shutdown(protocol::clock::now());
  after_event();
}

void connection::migrate() {
  // The client identifier lives on another shard: hand the socket and the unconsumed bytes
  // (the CONNECT included) over; the session there replays them.
  finished_ = true;
  auto self = shared_from_this();
  error_code ec;
  timer_.cancel();
  const auto protocol = socket_.local_endpoint(ec).protocol();
  const auto handle = socket_.release(ec);
  if (ec) {
    spdlog::warn("cannot move connection {} to shard {}: {}", peer_, *session_.migrate_to(),
                 ec.message());
  } else {
    shard_.migrate(*session_.migrate_to(), handle, protocol, std::move(partial_), peer_);
  }
  shard_.forget(this);
}

void connection::log_state_change() {
  const auto state = session_.state();
  if (state == logged_state_) return;
  if (state == protocol::session_phase::connected) {
    spdlog::info("client connected: id={} address={} protocol={} keep_alive={}s",
                 session_.client_id(), peer_,
                 codec::to_string(session_.version().value_or(codec::protocol_version::v3_1_1)),
                 session_.keep_alive());
  } else if (state == protocol::session_phase::closed) {
    const auto& info = session_.close_reason();
    const auto level = is_clean_close(info) ? spdlog::level::info : spdlog::level::warn;
    spdlog::log(level, "client disconnected: id={} address={} reason=0x{:02x} ({}): {}",
                session_.client_id().empty() ? "<none>" : session_.client_id(), peer_,
                static_cast<unsigned>(info.reason), codec::to_string(info.reason), info.detail);
  }
  logged_state_ = state;
}

void connection::finish() {
  if (finished_) return;
  finished_ = true;
  auto self = shared_from_this();
  error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  timer_.cancel();
  shard_.forget(this);
}

}  // namespace tern::net
