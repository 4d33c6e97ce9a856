#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>

#include "net/tls_context.hpp"

namespace tern::net {

namespace {
// Descriptors tracked until configure_admission() names the process limit.
constexpr std::size_t k_default_descriptors = 65'536;
}  // namespace

void server::configure_verifier(std::size_t threads, std::size_t max_pending) {
  verifier_ = std::make_unique<password_verifier>(threads, max_pending);
}

void server::configure_admission(const admission_settings& settings, std::size_t descriptors) {
  admission_ = std::make_unique<admission>(settings, descriptors);
}

server::server(boost::asio::io_context& control, std::size_t shard_count,
               const protocol::session_settings& settings, storage::group_committer* committer,
               protocol::message_reclaimer* reclaimer)
    : control_(control),
      admission_(std::make_unique<admission>(admission_settings{}, k_default_descriptors)) {
  shared_.settings = settings;
  shared_.shard_count = shard_count;
  shared_.committer = committer;
  shared_.reclaimer = reclaimer;
  shards_.reserve(shard_count);
  for (std::size_t i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<shard>(i, shared_, *this));
  }
  configure_verifier(1, 32);
}

void server::post_deliveries(std::size_t target, std::vector<core::remote_delivery>&& batch) {
  auto& s = *shards_[target];
  boost::asio::post(s.context(), [&s, b = std::move(batch)]() mutable {
    s.core().receive(std::move(b), protocol::clock::now());
  });
}

void server::schedule_outbox_flush(std::size_t index) {
  auto& s = *shards_[index];
  boost::asio::post(s.context(), [&s] { s.core().flush_outboxes(); });
}

void server::commit(std::size_t index, storage::write_batch&& batch, std::uint64_t ticket) {
  auto& s = *shards_[index];
  shared_.committer->submit(std::move(batch), [&s, ticket] { s.notify_durable(ticket); });
}

void server::hand_over(std::size_t target, detached_transport transport,
                       std::vector<std::uint8_t> pending, client_origin origin) {
  auto& s = *shards_[target];
  boost::asio::post(s.context(), [&s, t = std::move(transport), bytes = std::move(pending),
                                  o = std::move(origin)]() mutable {
    tcp_socket socket(s.context());
    boost::system::error_code ec;
    socket.assign(t.protocol, t.handle, ec);
    if (ec) {
      spdlog::warn("cannot adopt moved connection {}: {}", o.peer, ec.message());
      return;
    }
    s.adopt_moved(std::move(socket), std::move(t.tls), std::move(t.websocket), std::move(bytes),
                  std::move(o));
  });
}

std::vector<server::listener_stats> server::listeners() const {
  std::vector<listener_stats> out;
  for (const auto& entry : listeners_) {
    const auto& l = *entry.live;
    const auto i = l.admission_index();
    out.push_back({l.describe(), l.protocol_name(), admission_->listener_open(i),
                   admission_->listener_accepted(i)});
  }
  return out;
}

bool server::allows_anonymous(const boost::asio::ip::tcp::endpoint& local) const {
  const auto table = anonymous_by_endpoint_.load(std::memory_order_acquire);
  if (!table) return false;
  for (const auto& [endpoint, allowed] : *table) {
    if (endpoint == local) return allowed;
  }
  // A listener on every interface ("0.0.0.0" / "::") sees the address the client dialled.
  for (const auto& [endpoint, allowed] : *table) {
    if (endpoint.port() == local.port() && endpoint.address().is_unspecified() &&
        endpoint.protocol() == local.protocol()) {
      return allowed;
    }
  }
  return false;
}

void server::publish_anonymous_table() {
  auto table = std::make_shared<anonymous_table>();
  for (const auto& entry : listeners_) {
    table->emplace_back(entry.live->local_endpoint(), entry.config.allow_anonymous);
  }
  anonymous_by_endpoint_.store(std::move(table), std::memory_order_release);
}

server::~server() {
  stop();
  join();
}

std::unique_ptr<listener> server::make_listener(const listen_endpoint& e) {
  tls_profile_ptr profile;
  if (e.tls) {
    try {
      profile = make_tls_profile(*e.tls);
    } catch (const tls_setup_error& error) {
      throw std::runtime_error(fmt::format("TLS listener on port {}: {}: {}", e.endpoint.port(),
                                           error.setting(), error.what()));
    }
  }
  websocket_settings_ptr websocket;
  if (e.websocket) websocket = std::make_shared<const websocket_settings>(*e.websocket);
  return std::make_unique<listener>(control_, e.endpoint, shards_, *admission_, e.max_connections,
                                    profile, std::move(websocket),
                                    proxy_options{e.proxy_protocol, e.identity_from_header});
}

namespace {
void log_listening(const listener& l) {
  spdlog::info("listening on {} ({}{})", l.describe(), l.protocol_name(),
               l.proxied() ? ", PROXY protocol" : "");
}
}  // namespace

void server::start(const std::vector<listen_endpoint>& endpoints) {
  for (const auto& e : endpoints) {
    try {
      listeners_.push_back({make_listener(e), e});
    } catch (const boost::system::system_error& error) {
      if (!e.optional) throw;
      spdlog::warn("not listening on {}: {}", e.endpoint.address().to_string(), error.what());
    }
  }
  if (listeners_.empty()) throw std::runtime_error("no listener could be opened");
  publish_anonymous_table();
  for (auto& s : shards_) s->start();
  for (auto& entry : listeners_) {
    entry.live->start();
    log_listening(*entry.live);
  }
}

server::listener_entry* server::find_listener(const listen_endpoint& e) {
  for (auto& entry : listeners_) {
    const auto& c = entry.config;
    if (c.endpoint == e.endpoint && c.tls.has_value() == e.tls.has_value() &&
        c.websocket.has_value() == e.websocket.has_value()) {
      return &entry;
    }
  }
  return nullptr;
}

void server::open_listener(const listen_endpoint& e) {
  listeners_.push_back({make_listener(e), e});
  publish_anonymous_table();
  listeners_.back().live->start();
  log_listening(*listeners_.back().live);
}

bool server::close_listener(const listen_endpoint& e) {
  auto* entry = find_listener(e);
  if (entry == nullptr) return false;
  // Destroying it closes the socket; its connections keep their admission slot until they end.
  listeners_.erase(listeners_.begin() + (entry - listeners_.data()));
  publish_anonymous_table();
  return true;
}

bool server::update_listener(const listen_endpoint& e) {
  auto* entry = find_listener(e);
  if (entry == nullptr) return false;
  auto& l = *entry->live;
  if (e.max_connections != entry->config.max_connections) l.set_max_connections(e.max_connections);
  if (e.proxy_protocol != entry->config.proxy_protocol ||
      e.identity_from_header != entry->config.identity_from_header) {
    l.set_proxy(proxy_options{e.proxy_protocol, e.identity_from_header});
  }
  if (e.websocket) l.set_websocket(std::make_shared<const websocket_settings>(*e.websocket));
  entry->config = e;  // TLS settings: read by the next reload_tls()
  publish_anonymous_table();
  return true;
}

bool server::reload_tls() {
  bool ok = true;
  for (auto& entry : listeners_) {
    if (!entry.config.tls) continue;
    auto& l = *entry.live;
    try {
      l.set_tls(make_tls_profile(*entry.config.tls));
      spdlog::info("TLS listener {}: certificates reloaded; new connections use them",
                   l.describe());
    } catch (const tls_setup_error& error) {
      ok = false;
      spdlog::error("TLS listener {}: reload failed, keeping the current certificates: {}: {}",
                    l.describe(), error.setting(), error.what());
    }
  }
  return ok;
}

void server::stop() {
  for (auto& entry : listeners_) entry.live->stop();
  for (auto& s : shards_) s->stop();
  // Running checks finish (their results reach closing connections); waiting ones are dropped.
  verifier_->stop();
}

void server::join() {
  for (auto& s : shards_) s->join();
}

std::vector<core::shard_core*> server::cores() {
  std::vector<core::shard_core*> out;
  for (auto& s : shards_) out.push_back(&s->core());
  return out;
}

void server::probe_shards(std::function<void()> answered) {
  auto remaining = std::make_shared<std::atomic<std::size_t>>(shards_.size());
  auto done = std::make_shared<std::function<void()>>(std::move(answered));
  for (auto& s : shards_) {
    boost::asio::post(s->context(), [this, remaining, done] {
      if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
        boost::asio::post(control_, [done] { (*done)(); });
      }
    });
  }
}

std::vector<boost::asio::ip::tcp::endpoint> server::local_endpoints() const {
  std::vector<boost::asio::ip::tcp::endpoint> out;
  for (const auto& entry : listeners_) out.push_back(entry.live->local_endpoint());
  return out;
}

}  // namespace tern::net
