#include "app/service_manager.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace tern::app {

namespace {

void notify(const char* state) {
  const int r = sd_notify(0, state);
  if (r < 0) spdlog::warn("cannot notify the service manager ({}): error {}", state, -r);
}

}  // namespace

service_manager::service_manager(boost::asio::io_context& control, net::server& server)
    : server_(server), timer_(control) {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);  // systemd's advice: half
  }
}

void service_manager::ready() {
  notify("READY=1\nSTATUS=accepting connections");
  if (watchdog_interval_.count() > 0) {
    spdlog::info("systemd watchdog: every shard is probed every {} ms",
                 watchdog_interval_.count() / 1000);
    schedule_ping();
  }
}

void service_manager::stopping() {
  stopped_ = true;
  timer_.cancel();
  notify("STOPPING=1");
}

void service_manager::schedule_ping() {
  timer_.expires_after(watchdog_interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    server_.probe_shards([this] {
      if (stopped_) return;
      notify("WATCHDOG=1");
      schedule_ping();
    });
  });
}

}  // namespace tern::app
