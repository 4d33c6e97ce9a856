#include "admin/admin_api.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "admin/api_endpoints.hpp"
#include "admin/broker_stats.hpp"
#include "admin/metrics_text.hpp"
#include "admin/prometheus_writer.hpp"
#include "auth/access_control.hpp"
#include "auth/base64.hpp"
#include "net/server.hpp"

namespace tern::admin {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::size_t k_max_cached_logins = 16;

bool equal_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

http_response json_response(http::status status, const json::value& body) {
  http_response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(body);
  res.body() += '\n';
  return res;
}

http_response json_error(http::status status, std::string_view message) {
  return json_response(status, json::object{{"error", message}});
}

admin_api::admin_api(admin_settings settings, admin_context context)
    : settings_(std::move(settings)), context_(std::move(context)) {}

void admin_api::authorize(const http_request& request, const std::string& peer,
                          std::function<void(verdict)> then) {
  const auto it = request.find(http::field::authorization);
  if (it == request.end()) return then(verdict::refused);  // no guess: no delay
  const std::string_view value(it->value().data(), it->value().size());
  auto* access = context_.access;
  // A wrong guess waits out the address's failed-login delay before it is answered.
  const auto refuse_later = [this, access, peer, then] {
    const auto address = peer.substr(0, peer.rfind(':'));
    const auto delay =
        access != nullptr ? access->on_failed_login(address) : std::chrono::milliseconds{250};
    auto timer = std::make_shared<boost::asio::steady_timer>(context_.server.control(), delay);
    timer->async_wait([timer, then](boost::system::error_code) { then(verdict::refused); });
  };
  // A token has at least 16 characters: not worth slowing down. Only password guesses are.
  if (value.starts_with("Bearer ")) {
    const bool ok = !settings_.token.empty() && equal_secret(value.substr(7), settings_.token);
    return then(ok ? verdict::allowed : verdict::refused);
  }
  if (!value.starts_with("Basic ") || access == nullptr) return then(verdict::refused);
  const auto snapshot = access->snapshot();
  if (!snapshot->passwords) return then(verdict::refused);
  std::string key(value.substr(6));
  if (const auto hit = basic_ok_.find(key);
      hit != basic_ok_.end() && hit->second == snapshot->generation) {
    return then(verdict::allowed);
  }
  const auto decoded = auth::base64_decode(key);
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) return then(verdict::refused);
  auth::credentials c;
  c.username = std::string_view(*decoded).substr(0, colon);
  c.password = std::string_view(*decoded).substr(colon + 1);
  c.allow_anonymous = false;
  const auto remember = [this, key, generation = snapshot->generation] {
    if (basic_ok_.size() >= k_max_cached_logins) basic_ok_.clear();
    basic_ok_[key] = generation;
  };
  auto plan = access->plan_login(c);
  if (auto* result = std::get_if<auth::login_result>(&plan)) {
    if (result->outcome != auth::login_outcome::accepted || !result->username) {
      return refuse_later();
    }
    remember();
    return then(verdict::allowed);
  }
  auto& control = context_.server.control();
  const bool queued = context_.server.verifier().submit(
      std::get<auth::password_check>(std::move(plan)),
      [&control, remember, refuse_later, then](auth::login_result result) {
        boost::asio::post(control, [result = std::move(result), remember, refuse_later, then] {
          if (result.outcome != auth::login_outcome::accepted || !result.username) {
            return refuse_later();
          }
          remember();
          then(verdict::allowed);
        });
      });
  if (!queued) then(verdict::busy);
}

void admin_api::refuse(verdict why, const http_request& request, const std::string& peer,
                       const std::string& path, const http_reply& reply) {
  if (why == verdict::busy) {
    spdlog::warn("admin HTTP: {} {} from {}: refused (too many password checks pending)",
                 std::string_view(request.method_string()), path, peer);
    return reply(json_error(http::status::service_unavailable,
                            "too many password checks pending: try again later"));
  }
  spdlog::info("admin HTTP: {} {} from {}: refused (no valid credentials)",
               std::string_view(request.method_string()), path, peer);
  auto res = json_error(http::status::unauthorized, "credentials required");
  res.set(http::field::www_authenticate, R"(Bearer realm="tern", Basic realm="tern")");
  reply(std::move(res));
}

void admin_api::handle(const http_request& request, const std::string& peer, http_reply reply) {
  const auto target = boost::urls::parse_origin_form(
      std::string_view(request.target().data(), request.target().size()));
  if (!target) return reply(json_error(http::status::bad_request, "malformed request target"));
  const std::string path = target->path();
  if (path == "/metrics") {
    if (request.method() != http::verb::get) {
      return reply(json_error(http::status::method_not_allowed, "use GET"));
    }
    auto scrape = [this, reply](verdict v, const http_request& r, const std::string& from,
                                const std::string& p) {
      if (v != verdict::allowed) return refuse(v, r, from, p, reply);
      collect_stats(context_.server, context_.started, [respond = reply](broker_stats stats) {
        http_response res{http::status::ok, 11};
        res.set(http::field::content_type, prometheus_writer::k_content_type);
        res.body() = render_metrics(stats);
        respond(std::move(res));
      });
    };
    if (!settings_.metrics_auth) return scrape(verdict::allowed, request, peer, path);
    // The request belongs to the HTTP connection, which waits for the reply: keep a copy for
    // an answer that comes later.
    auto kept = std::make_shared<http_request>(request);
    return authorize(*kept, peer,
                     [kept, peer, path, scrape](verdict v) { scrape(v, *kept, peer, path); });
  }
  if (!path.starts_with("/api/v1/")) {
    return reply(json_error(http::status::not_found, "no such endpoint"));
  }
  auto kept = std::make_shared<http_request>(request);
  authorize(*kept, peer, [this, kept, peer, path, reply](verdict v) {
    if (v != verdict::allowed) return refuse(v, *kept, peer, path, reply);
    route_api(*kept, peer, reply);
  });
}

void admin_api::route_api(const http_request& request, const std::string& peer, http_reply reply) {
  const auto target = boost::urls::parse_origin_form(
      std::string_view(request.target().data(), request.target().size()));
  // Path segments after /api/v1, percent-decoded ("a%2Fb" is one segment "a/b").
  std::vector<std::string> segments;
  for (auto s : target->segments()) segments.emplace_back(s);
  segments.erase(segments.begin(), segments.begin() + 2);
  const auto params = target->params();
  const auto param = [&params](std::string_view key) -> std::string {
    const auto it = params.find(key);
    return it == params.end() ? std::string() : std::string((*it).value);
  };
  const auto method = request.method();
  const auto resource = segments.empty() ? std::string() : segments.front();
  // The rest of the path, joined again: a client identifier or a topic with its levels.
  std::string rest;
  for (std::size_t i = 1; i < segments.size(); ++i) {
    if (i > 1) rest += '/';
    rest += segments[i];
  }
  const bool has_rest = segments.size() > 1;
  spdlog::debug("admin HTTP: {} {} from {}", std::string_view(request.method_string()),
                std::string_view(request.target().data(), request.target().size()), peer);
  api_call call{context_.server, std::move(reply)};

  if (resource == "health" && !has_rest && method == http::verb::get) return health(call);
  if (resource == "ready" && !has_rest && method == http::verb::get) return ready(call);
  if (resource == "clients" && !has_rest && method == http::verb::get) {
    return list_clients(call, param("search"));
  }
  if (resource == "clients" && has_rest && method == http::verb::delete_) {
    return disconnect_client(call, rest);
  }
  if (resource == "subscriptions" && !has_rest && method == http::verb::get) {
    return list_subscriptions(call);
  }
  if (resource == "sessions" && !has_rest && method == http::verb::get) {
    return list_sessions(call, param("search"));
  }
  if (resource == "sessions" && has_rest && method == http::verb::delete_) {
    return remove_session(call, rest);
  }
  if (resource == "retained" && !has_rest && method == http::verb::get) {
    const auto filter = param("topic");
    return list_retained(call, filter.empty() ? "#" : filter);
  }
  if (resource == "retained" && has_rest && method == http::verb::get) {
    return get_retained(call, rest);
  }
  if (resource == "retained" && has_rest && method == http::verb::delete_) {
    return delete_retained(call, rest);
  }
  if (resource == "publish" && !has_rest && method == http::verb::post) {
    return publish(call, request.body());
  }
  if (resource == "reload" && !has_rest && method == http::verb::post) {
    spdlog::info("admin HTTP: reload requested by {}", peer);
    if (context_.reload) context_.reload();
    return call.reply(json_response(http::status::ok, json::object{{"reloaded", true}}));
  }
  call.reply(json_error(http::status::not_found, "no such endpoint or method"));
}

}  // namespace tern::admin
