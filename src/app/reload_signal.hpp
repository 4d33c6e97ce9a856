#pragma once
// SIGHUP asks Tern to reload what it reads from files (the configuration, TLS certificates,
// password and ACL files: see config_reload.hpp). Components register a callback; each SIGHUP
// runs every callback, in registration order, on the control thread.
//
// Thread: the control context (main thread), like everything registered with it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <vector>

namespace tern::app {

class reload_signal {
 public:
  explicit reload_signal(boost::asio::io_context& control);

  void on_reload(std::function<void()> callback);
  // Catches SIGHUP from now on (even with no callback: the default action would end Tern).
  void start();
  // Stops catching, so the control context can run out of work at shutdown.
  void stop();

 private:
  void wait();

  boost::asio::signal_set signals_;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace tern::app
