#include "net/shard.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "core/store_reclaimer.hpp"
#include "net/connection.hpp"
#include "net/proxy_handshake.hpp"
#include "net/server.hpp"

namespace tern::net {

namespace asio = boost::asio;

namespace {
constexpr std::size_t k_scratch_size = 64 * 1024;
constexpr auto k_stop_grace = std::chrono::seconds(3);
constexpr auto k_tick = std::chrono::milliseconds(250);
}  // namespace

shard::shard(std::size_t index, core::broker_shared& shared, server& owner)
    : index_(index),
      shared_(shared),
      server_(owner),
      work_(asio::make_work_guard(context_)),
      stop_deadline_(context_),
      tick_(context_),
      deadlines_(context_, &connection::due),
      core_(index, shared, owner),
      scratch_(k_scratch_size) {}

shard::~shard() {
  join();
  // Close connections before the core goes (declaration order guarantees it as well).
  connections_.clear();
  to_flush_.clear();
  held_.clear();
}

admission& shard::gate() noexcept {
  return server_.gate();
}

password_verifier& shard::verifier() noexcept {
  return server_.verifier();
}

void shard::start() {
  arm_tick();
  thread_ = std::thread([this] {
    // Messages released on this thread delete their store records through this shard's batch.
    core::store_reclaimer::bind_thread(&core_.journal());
    try {
      context_.run();
    } catch (const std::exception& e) {
      spdlog::critical("shard {}: event loop failed: {}", index_, e.what());
      std::terminate();
    }
  });
}

void shard::arm_tick() {
  tick_.expires_after(k_tick);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    const auto late = std::chrono::steady_clock::now() - tick_.expiry();
    loop_lag_us_.store(std::chrono::duration_cast<std::chrono::microseconds>(late).count(),
                       std::memory_order_relaxed);
    core_.tick(protocol::clock::now());
    if (!held_.empty() && core_.journal().stalled()) abandon_held();
    arm_tick();
  });
}

void shard::stop() {
  asio::post(context_, [this] { stop_on_thread(); });
}

void shard::stop_on_thread() {
  if (stopping_) return;
  stopping_ = true;
  work_.reset();
  tick_.cancel();
  // Copy: shut_down may forget connections while we iterate.
  std::vector<connection_ptr> open;
  open.reserve(connections_.size());
  for (const auto& c : connections_) open.push_back(c);
  for (auto& c : open) c->shut_down();
  if (!connections_.empty()) {
    stop_deadline_.expires_after(k_stop_grace);
    stop_deadline_.async_wait([this](boost::system::error_code ec) {
      if (!ec) context_.stop();
    });
  }
}

bool shard::allows_anonymous(const asio::ip::tcp::endpoint& local) const {
  return server_.allows_anonymous(local);
}

void shard::join() {
  if (thread_.joinable()) thread_.join();
}

void shard::adopt(tcp_socket socket, tls_profile_ptr tls, websocket_settings_ptr websocket,
                  client_origin origin) {
  if (stopping_) return;  // the socket closes as it goes out of scope
  if (websocket) {
    add(make_websocket_connection(*this, std::move(socket), std::move(tls), std::move(websocket),
                                  std::move(origin)));
  } else if (tls) {
    add(make_tls_connection(*this, std::move(socket), std::move(tls), std::move(origin)));
  } else {
    add(make_plain_connection(*this, std::move(socket), {}, std::move(origin)));
  }
}

void shard::adopt_proxied(tcp_socket socket, tls_profile_ptr tls, websocket_settings_ptr websocket,
                          bool identity_from_header) {
  if (stopping_) return;
  read_proxy_header(
      std::move(socket), settings().connect_timeout,
      [this, tls = std::move(tls), websocket = std::move(websocket), identity_from_header](
          tcp_socket s, proxy_header header) mutable {
        client_origin origin;
        // LOCAL / UNKNOWN: the balancer's own connection (a health check); the socket speaks.
        if (header.source) origin = origin_at(*header.source);
        origin.identity = std::move(header.verified_common_name);
        origin.identity_required = identity_from_header;
        adopt(std::move(s), std::move(tls), std::move(websocket), std::move(origin));
      },
      [this](tcp_socket& s) {
        gate().on_close(s.native_handle());  // before the descriptor is reused
        boost::system::error_code ec;
        s.close(ec);
      });
}

void shard::adopt_moved(tcp_socket socket, std::optional<detached_tls> tls,
                        std::shared_ptr<detached_websocket> websocket,
                        std::vector<std::uint8_t> pending, client_origin origin) {
  if (stopping_) return;
  if (websocket) {
    add(make_websocket_connection(*this, std::move(socket), std::move(tls), std::move(websocket),
                                  std::move(pending), std::move(origin)));
  } else if (tls) {
    add(make_tls_connection(*this, std::move(socket), std::move(*tls), std::move(pending),
                            std::move(origin)));
  } else {
    add(make_plain_connection(*this, std::move(socket), std::move(pending), std::move(origin)));
  }
}

void shard::add(connection_ptr c) {
  auto* started = c.get();
  connections_.insert(std::move(c));
  started->start();
}

void shard::forget(connection* c) {
  connections_.erase(c);
  if (stopping_ && connections_.empty()) stop_deadline_.cancel();
}

void shard::schedule_flush(connection_ptr c) {
  if (to_flush_.empty()) asio::post(context_, [this] { flush_connections(); });
  to_flush_.push_back(std::move(c));
}

void shard::abandon_held() {
  // The store cannot write: acknowledgements waiting for it will not come soon. Their clients
  // are told (MQTT 5: DISCONNECT 0x97) and disconnected rather than left waiting; what they
  // sent is written if the store recovers, and they send it again after reconnecting.
  auto waiting = std::move(held_);
  held_.clear();
  for (auto& c : waiting) c->abandon_held_output();
}

void shard::hold_until_durable(connection_ptr c) {
  held_.push_back(std::move(c));
}

void shard::notify_durable(std::uint64_t ticket) {
  // Tickets complete in order, so the newest one covers the rest.
  durable_ticket_.store(ticket, std::memory_order_release);
  if (durable_posted_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(context_, [this] {
    // A read-modify-write, so a ticket stored before a post that found one pending is seen.
    durable_posted_.exchange(false, std::memory_order_acq_rel);
    on_durable(durable_ticket_.load(std::memory_order_acquire));
  });
}

void shard::on_durable(std::uint64_t ticket) {
  core_.on_durable(ticket, protocol::clock::now());
  auto waiting = std::move(held_);
  held_.clear();
  for (auto& c : waiting) c->on_commit();  // held again if its ticket is still pending
  core_.flush_outboxes();
}

void shard::flush_connections() {
  auto batch = std::move(to_flush_);
  to_flush_.clear();
  for (auto& c : batch) c->after_event();
}

void shard::migrate(std::size_t target, detached_transport transport,
                    std::vector<std::uint8_t> pending, client_origin origin) {
  server_.hand_over(target, std::move(transport), std::move(pending), std::move(origin));
}

}  // namespace tern::net
