#pragma once
// Talks to systemd when Tern runs as a Type=notify service: READY=1 once every listener is
// open, STOPPING=1 at shutdown, and, with WatchdogSec=,
// WATCHDOG=1 pings sent only after every shard's event loop has answered a probe, so a stuck
// shard gets the service restarted. Inert when NOTIFY_SOCKET is not set.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "net/server.hpp"

namespace tern::app {

class service_manager {
 public:
  service_manager(boost::asio::io_context& control, net::server& server);

  void ready();
  void stopping();

 private:
  void schedule_ping();

  net::server& server_;
  boost::asio::steady_timer timer_;
  std::chrono::microseconds watchdog_interval_{0};  // 0: no watchdog requested
  bool stopped_ = false;
};

}  // namespace tern::app
