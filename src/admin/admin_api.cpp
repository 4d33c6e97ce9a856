#include "admin/admin_api.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

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

bool admin_api::authorized(const http_request& request) {
  const auto it = request.find(http::field::authorization);
  if (it == request.end()) return false;
  const std::string_view value(it->value().data(), it->value().size());
  if (value.starts_with("Bearer ")) {
    return !settings_.token.empty() && equal_secret(value.substr(7), settings_.token);
  }
  if (!value.starts_with("Basic ") || context_.access == nullptr) return false;
  const auto snapshot = context_.access->snapshot();
  if (!snapshot->passwords) return false;
  const std::string key(value.substr(6));
  if (const auto hit = basic_ok_.find(key);
      hit != basic_ok_.end() && hit->second == snapshot->generation) {
    return true;
  }
  const auto decoded = auth::base64_decode(key);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  auth::credentials c;
  c.username = std::string_view(*decoded).substr(0, colon);
  c.password = std::string_view(*decoded).substr(colon + 1);
  c.allow_anonymous = false;
  const auto result = context_.access->authenticate(c);
  if (result.outcome != auth::login_outcome::accepted || !result.username) return false;
  if (basic_ok_.size() >= k_max_cached_logins) basic_ok_.clear();
  basic_ok_[key] = snapshot->generation;
  return true;
}

void admin_api::handle(const http_request& request, const std::string& peer, http_reply reply) {
  const auto target = boost::urls::parse_origin_form(
      std::string_view(request.target().data(), request.target().size()));
  if (!target) return reply(json_error(http::status::bad_request, "malformed request target"));
  const std::string path = target->path();
  if (path == "/metrics") {
    if (settings_.metrics_auth && !authorized(request)) {
      spdlog::info("admin HTTP: {} {} from {}: refused (no valid credentials)",
                   std::string_view(request.method_string()), path, peer);
      auto res = json_error(http::status::unauthorized, "credentials required");
      res.set(http::field::www_authenticate, R"(Bearer realm="tern", Basic realm="tern")");
      return reply(std::move(res));
    }
    if (request.method() != http::verb::get) {
      return reply(json_error(http::status::method_not_allowed, "use GET"));
    }
    return collect_stats(context_.server, context_.started,
                         [respond = std::move(reply)](broker_stats stats) {
                           http_response res{http::status::ok, 11};
                           res.set(http::field::content_type, prometheus_writer::k_content_type);
                           res.body() = render_metrics(stats);
                           respond(std::move(res));
                         });
  }
  if (!path.starts_with("/api/v1/")) {
    return reply(json_error(http::status::not_found, "no such endpoint"));
  }
  if (!authorized(request)) {
    spdlog::info("admin HTTP: {} {} from {}: refused (no valid credentials)",
                 std::string_view(request.method_string()), path, peer);
    auto res = json_error(http::status::unauthorized, "credentials required");
    res.set(http::field::www_authenticate, R"(Bearer realm="tern", Basic realm="tern")");
    return reply(std::move(res));
  }
  route_api(request, peer, std::move(reply));
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
