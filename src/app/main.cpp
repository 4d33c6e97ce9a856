// tern: wiring only. Reads the command line and configuration, sets up logging, starts the
// network server and waits for SIGINT/SIGTERM to stop it gracefully; SIGHUP (and the admin
// API) reloads the configuration and the files it names, changed files on disk reload
// themselves.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "admin/admin_api.hpp"
#include "admin/http_server.hpp"
#include "admin/sys_topics.hpp"
#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/config_reload.hpp"
#include "app/ctl_command.hpp"
#include "app/file_watcher.hpp"
#include "app/logging.hpp"
#include "app/passwd_command.hpp"
#include "app/reload_signal.hpp"
#include "app/resource_limits.hpp"
#include "app/service_manager.hpp"
#include "app/startup_config.hpp"
#include "app/version.hpp"
#include "auth/access_control.hpp"
#include "core/recovery.hpp"
#include "core/store_reclaimer.hpp"
#include "net/server.hpp"
#include "storage/group_committer.hpp"
#include "storage/open_store.hpp"

namespace {

using namespace tern;

struct admission_plan {
  net::admission_settings settings;
  std::size_t descriptors = 0;
};

// Raises the descriptor limit and turns the "unset" overload limits into numbers.
admission_plan resolve_overload_limits(app::config& c) {
  const auto files = app::raise_file_limit();
  if (!files.error.empty()) {
    spdlog::warn("cannot raise the open file limit to {}: {}", files.hard, files.error);
  }
  admission_plan plan;
  plan.descriptors = files.soft;
  plan.settings = app::admission_of(c, files.soft);
  c.session.max_memory = c.max_memory.value_or(app::physical_memory() / 2);
  spdlog::info("open file limit {}; max connections {}; memory ceiling {}", files.soft,
               plan.settings.max_connections == 0 ? std::string("none")
                                                  : std::to_string(plan.settings.max_connections),
               c.session.max_memory == 0 ? std::string("none")
                                         : fmt::format("{} MiB", c.session.max_memory >> 20));
  return plan;
}

// tern --check-config FILE: everything start-up would read from it, without starting.
int check_config(const std::string& file) {
  try {
    app::cli_options options;
    options.config_file = file;
    const auto config = build_config(options);
    const auto endpoints = endpoints_of(config);
    auth::access_control access(auth::auth_files{config.password_file, config.acl_file});
    fmt::print("{}: valid ({} listener(s))\n", file, endpoints.size());
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "tern: error: {}\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = app::parse_cli(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  if (parsed.options->passwd) return app::run_passwd(*parsed.options->passwd);
  if (parsed.options->ctl) return app::run_ctl(*parsed.options->ctl);

  if (const auto& file = parsed.options->check_config) return check_config(*file);

  app::config config;
  std::vector<net::listen_endpoint> endpoints;
  try {
    config = build_config(*parsed.options);
    endpoints = endpoints_of(config);
  } catch (const app::config_error& e) {
    fmt::print(stderr, "tern: error: {}\n", e.what());
    return 2;
  }
  std::optional<app::process_log> log;
  try {
    log.emplace(app::log_settings{config.log_level, config.log_output_format, config.log_file});
  } catch (const std::exception& e) {
    fmt::print(stderr, "tern: error: cannot open the log file {}: {}\n", config.log_file, e.what());
    return 1;
  }
  std::signal(SIGUSR1, SIG_IGN);  // a log rotation during start-up must not end the process
  spdlog::info("tern {} starting: {} shard(s), max packet size {} bytes", app::k_version,
               config.shards, config.session.max_packet_size);
  const auto admission = resolve_overload_limits(config);

  // The store outlives the server: messages still in memory at the end must not reach it.
  std::optional<storage::opened_store> store;
  std::unique_ptr<storage::group_committer> committer;
  std::unique_ptr<core::store_reclaimer> reclaimer;
  if (config.durability != "memory") {
    try {
      spdlog::info("store: {} (durability {})", config.data_dir.string(), config.durability);
      store = storage::open_store(config.data_dir.string());
    } catch (const std::exception& e) {
      spdlog::critical("cannot open the store: {}", e.what());
      return 1;
    }
    committer = std::make_unique<storage::group_committer>(
        *store->backend,
        config.durability == "os" ? storage::durability::os : storage::durability::fsync);
    reclaimer = std::make_unique<core::store_reclaimer>(*committer);
  } else {
    spdlog::warn("durability = \"memory\": sessions and messages are lost when Tern stops");
  }

  std::unique_ptr<auth::access_control> access;
  try {
    access = std::make_unique<auth::access_control>(
        auth::auth_files{config.password_file, config.acl_file});
  } catch (const std::exception& e) {
    spdlog::critical("cannot load the auth files: {}", e.what());
    return 2;
  }
  for (const auto& e : endpoints) {
    if (!e.allow_anonymous) {
      spdlog::info("listener {}:{} refuses anonymous clients", e.endpoint.address().to_string(),
                   e.endpoint.port());
    }
  }

  boost::asio::io_context control{1};
  net::server server(control, config.shards, config.session, committer.get(), reclaimer.get());
  server.configure_admission(admission.settings, admission.descriptors);
  server.configure_verifier(config.auth_check_threads, config.max_pending_logins);
  server.shared().access = access.get();
  if (committer) {
    server.shared().store = store->backend.get();
    reclaimer->keep_paged(&server.shared().paged);
    core::restore_broker(std::move(store->contents), server.shared(), server.cores(),
                         protocol::clock::now());
    if (!store->cleanup.empty()) committer->submit(std::move(store->cleanup), {});
    store->contents = {};
    // Loading held the records and the rebuilt state at once; give the difference back.
    malloc_trim(0);
  }
  server.shared().subscriptions.set_strategy(
      config.share_strategy == "random"           ? core::share_strategy::random
      : config.share_strategy == "hash_publisher" ? core::share_strategy::hash_publisher
                                                  : core::share_strategy::round_robin);
  const auto started = std::chrono::steady_clock::now();
  admin::sys_publisher sys(server, config.sys_interval, app::k_version, started);
  // Changed files on disk: the TLS certificates, the password and ACL files. A reload may
  // point both entries at other files.
  app::file_watcher watcher(control);
  const auto tls_watch = watcher.watch(app::config_reloader::tls_paths(config), [&server] {
    spdlog::info("TLS certificate files changed on disk: reloading");
    server.reload_tls();
  });
  const auto auth_watch = watcher.watch(app::config_reloader::auth_paths(config), [&access] {
    spdlog::info("password or ACL file changed on disk: reloading");
    access->reload();
  });
  // What SIGHUP does, also offered by the admin API: the files again and, with -c, the
  // configuration (see config_reload.hpp).
  app::config_reloader reloader(
      *parsed.options, config,
      {server, *access, watcher, tls_watch, auth_watch, admission.descriptors});
  const auto reload_everything = [&reloader] { reloader.reload(); };
  std::unique_ptr<admin::admin_api> api;
  std::unique_ptr<admin::http_server> http;
  if (config.admin.port) {
    api = std::make_unique<admin::admin_api>(
        admin::admin_settings{config.admin.token, config.admin.metrics_auth},
        admin::admin_context{server, access.get(), reload_everything, started});
    try {
      const boost::asio::ip::tcp::endpoint where{
          boost::asio::ip::make_address(config.admin.address), *config.admin.port};
      http = std::make_unique<admin::http_server>(
          control, where,
          [&api](const admin::http_request& request, const std::string& peer,
                 admin::http_reply reply) { api->handle(request, peer, std::move(reply)); });
    } catch (const boost::system::system_error& e) {
      spdlog::critical("cannot open the admin HTTP listener on {}:{}: {}", config.admin.address,
                       *config.admin.port, e.what());
      return 1;
    }
    if (config.admin.token.empty() && config.password_file.empty()) {
      spdlog::warn(
          "admin API: no admin.token and no password file: every /api/v1 request is "
          "refused");
    }
  }
  // Signals are caught before the first socket opens, so an early SIGTERM is still graceful.
  app::service_manager service(control, server);
  app::reload_signal reload(control);
  boost::asio::signal_set signals(control, SIGINT, SIGTERM);
  boost::asio::signal_set log_rotation(control, SIGUSR1);  // logrotate: reopen the log file
  std::function<void()> await_log_rotation = [&] {
    log_rotation.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      log->reopen();
      await_log_rotation();
    });
  };
  await_log_rotation();
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    service.stopping();
    reload.stop();
    watcher.stop();
    log_rotation.cancel();
    sys.stop();
    if (http) http->stop();
    server.stop();
  });
  reload.on_reload(reload_everything);
  reload.start();
  std::signal(SIGPIPE, SIG_IGN);
  try {
    server.start(endpoints);
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
  watcher.start();
  service.ready();
  sys.start();
  if (http) {
    http->start();
    const auto where = http->local_endpoint();
    spdlog::info("admin HTTP (metrics and API) listening on {}:{}", where.address().to_string(),
                 where.port());
  }
  control.run();
  server.join();
  if (committer) {
    committer->stop();  // the shards' last changes are written
    reclaimer->disable();
  }
  spdlog::info("stopped");
  return 0;
}
