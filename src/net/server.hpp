#pragma once
// The network side of the broker: the shards and the listeners that feed them.
//
// Thread: constructed, started and stopped from the main thread, whose io_context (the control
// context) runs the listeners and signal handling.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/admission.hpp"
#include "net/listener.hpp"
#include "net/password_verifier.hpp"
#include "net/shard.hpp"
#include "net/tls_settings.hpp"
#include "net/websocket_settings.hpp"
#include "protocol/settings.hpp"

namespace tern::net {

struct listen_endpoint {
  boost::asio::ip::tcp::endpoint endpoint;
  bool optional = false;  // a default endpoint that may be missing (e.g. no IPv6 on the host)
  std::size_t max_connections = 0;  // on this listener, 0 = only the broker-wide limit
  std::optional<tls_settings> tls;  // set: MQTT over TLS ("mqtts", or "wss" with websocket)
  bool allow_anonymous = false;     // clients without credentials may connect here
  std::optional<websocket_settings> websocket;  // set: MQTT over WebSocket ("ws", "wss")
  // A PROXY protocol header (v1 or v2) precedes every connection; with identity_from_header
  // the username is the client certificate CN the balancer verified.
  bool proxy_protocol = false;
  bool identity_from_header = false;
};

class server final : public core::shard_links {
 public:
  // `committer` and `reclaimer` are the store's (both null in memory mode); they outlive the
  // server.
  server(boost::asio::io_context& control, std::size_t shard_count,
         const protocol::session_settings& settings, storage::group_committer* committer = nullptr,
         protocol::message_reclaimer* reclaimer = nullptr);
  ~server();

  // Connection limits and rate; before start(). `descriptors` is the process's file limit.
  void configure_admission(const admission_settings& settings, std::size_t descriptors);
  admission& gate() noexcept { return *admission_; }
  // The password-check workers (see password_verifier.hpp); before start().
  void configure_verifier(std::size_t threads, std::size_t max_pending);
  password_verifier& verifier() noexcept { return *verifier_; }

  // Builds the TLS contexts and binds every endpoint (throws if a required one fails or a TLS
  // setting is unusable), then starts the shards.
  void start(const std::vector<listen_endpoint>& endpoints);
  // Listeners while running (a configuration reload). Main thread, after start(). A listener is
  // named by the endpoint it was configured with (port 0 included) and its protocol (TLS and
  // WebSocket or not).
  //
  // Opens and starts a listener; throws (boost::system::system_error for a failed bind,
  // std::runtime_error for unusable TLS settings) and then changes nothing.
  void open_listener(const listen_endpoint& e);
  // Stops accepting on the listener; its connections stay open and counted. False: no such
  // listener.
  bool close_listener(const listen_endpoint& e);
  // Changes a listener in place, keeping its socket and its connections: allow_anonymous,
  // max_connections, the WebSocket settings, the PROXY protocol and the TLS settings (which
  // take effect at the next reload_tls()). Later connections get the new settings. False: no
  // such listener.
  bool update_listener(const listen_endpoint& e);

  // Rebuilds every TLS listener's context from its files; new connections use the new one,
  // established connections keep theirs. A listener whose files are unusable keeps its current
  // context and the failure is logged. Returns false if any listener failed. Main thread.
  bool reload_tls();
  // Stops accepting and closes every connection gracefully. Callable once, from the main thread.
  void stop();
  // Waits for the shard threads to end.
  void join();

  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
  // Whether the listener a connection came in through (named by the connection's local
  // endpoint) admits anonymous clients. Any thread: the table is an immutable snapshot that the
  // main thread replaces when listeners change.
  bool allows_anonymous(const boost::asio::ip::tcp::endpoint& local) const;
  // Broker-wide state; configure it before start().
  core::broker_shared& shared() noexcept { return shared_; }
  // Every shard's core, for restoring state before start().
  std::vector<core::shard_core*> cores();
  // Runs `answered` on the control context once every shard's event loop has run a probe: the
  // shards are alive and not stuck (for the service manager's watchdog). Main thread.
  void probe_shards(std::function<void()> answered);
  std::size_t shard_count() const noexcept { return shards_.size(); }
  // The main thread's context (listeners, signals, admin HTTP).
  boost::asio::io_context& control() noexcept { return control_; }
  // Post work that touches a shard's state onto shard(i).context().
  shard& shard_at(std::size_t i) noexcept { return *shards_[i]; }

  struct listener_stats {
    std::string name;      // address:port
    std::string protocol;  // "mqtt", "mqtts", "ws" or "wss"
    std::size_t open = 0;
    std::uint64_t accepted = 0;
  };
  // Main thread (the listeners' thread).
  std::vector<listener_stats> listeners() const;

  // core::shard_links
  void post_deliveries(std::size_t target, std::vector<core::remote_delivery>&& batch) override;
  void schedule_outbox_flush(std::size_t shard) override;
  void commit(std::size_t shard, storage::write_batch&& batch, std::uint64_t ticket) override;

  // Moves a connection's transport (and bytes already read from it) to shard `target`. Any
  // thread.
  void hand_over(std::size_t target, detached_transport transport,
                 std::vector<std::uint8_t> pending, client_origin origin);

 private:
  boost::asio::io_context& control_;
  core::broker_shared shared_;            // outlives the shards
  std::unique_ptr<admission> admission_;  // outlives the shards' connections
  std::vector<std::unique_ptr<shard>> shards_;
  // After shards_: destroyed (its workers joined) first, since they post to the shards.
  std::unique_ptr<password_verifier> verifier_;
  struct listener_entry {
    std::unique_ptr<listener> live;
    listen_endpoint config;  // as configured: reload_tls() reads its TLS settings
  };
  using anonymous_table = std::vector<std::pair<boost::asio::ip::tcp::endpoint, bool>>;

  std::unique_ptr<listener> make_listener(const listen_endpoint& e);
  listener_entry* find_listener(const listen_endpoint& e);
  void publish_anonymous_table();

  std::vector<listener_entry> listeners_;
  std::atomic<std::shared_ptr<const anonymous_table>> anonymous_by_endpoint_;
};

}  // namespace tern::net
