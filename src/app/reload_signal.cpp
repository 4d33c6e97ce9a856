#include "app/reload_signal.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

namespace tern::app {

reload_signal::reload_signal(boost::asio::io_context& control) : signals_(control) {}

void reload_signal::on_reload(std::function<void()> callback) {
  callbacks_.push_back(std::move(callback));
}

void reload_signal::start() {
  signals_.add(SIGHUP);
  wait();
}

void reload_signal::stop() {
  boost::system::error_code ec;
  signals_.cancel(ec);
  signals_.clear(ec);
}

void reload_signal::wait() {
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    if (callbacks_.empty()) {
      spdlog::info("received SIGHUP: nothing to reload");
    } else {
      spdlog::info("received SIGHUP: reloading");
    }
    for (auto& callback : callbacks_) callback();
    wait();
  });
}

}  // namespace tern::app
