#include "admin/api_endpoints.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "admin/shard_gather.hpp"
#include "auth/base64.hpp"
#include "codec/topic_rules.hpp"
#include "codec/utf8.hpp"
#include "core/broker_shared.hpp"
#include "net/server.hpp"
#include "protocol/session.hpp"

namespace tern::admin {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// Listings stop here; the answer says it was cut.
constexpr std::size_t k_max_items = 10'000;

std::string_view version_name(codec::protocol_version v) {
  switch (v) {
    case codec::protocol_version::v3_1:
      return "3.1";
    case codec::protocol_version::v3_1_1:
      return "3.1.1";
    case codec::protocol_version::v5:
      return "5.0";
  }
  return "unknown";
}

std::uint64_t queue_depth(const protocol::session_state& s) {
  return s.queue.size() + s.paged().count();
}

json::object message_json(const protocol::message& m) {
  json::object o{{"topic", m.topic}, {"qos", static_cast<int>(m.qos_level)}};
  const std::string_view text(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  if (codec::is_valid_mqtt_utf8(text)) {
    o["payload"] = text;
  } else {
    o["payload_base64"] = auth::base64_encode(text);
  }
  return o;
}

void reply_array(api_call& call, std::vector<json::array> parts, std::string_view key) {
  json::array all;
  bool cut = false;
  for (auto& part : parts) {
    for (auto& v : part) {
      if (all.size() >= k_max_items) {
        cut = true;
        break;
      }
      all.push_back(std::move(v));
    }
  }
  json::object body{{key, std::move(all)}};
  if (cut) body["truncated"] = true;
  call.reply(json_response(http::status::ok, body));
}

bool contains(std::string_view haystack, std::string_view needle) {
  return needle.empty() || haystack.find(needle) != std::string_view::npos;
}

std::size_t owner_of(net::server& server, std::string_view client_id) {
  return core::owner_shard(client_id, server.shard_count());
}

}  // namespace

void health(api_call& call) {
  call.reply(json_response(http::status::ok, json::object{{"status", "ok"}}));
}

void ready(api_call& call) {
  const auto* committer = call.server.shared().committer;
  const bool ok = committer == nullptr || committer->healthy();
  call.reply(json_response(ok ? http::status::ok : http::status::service_unavailable,
                           json::object{{"ready", ok}, {"store_healthy", ok}}));
}

void list_clients(api_call& call, std::string search) {
  on_every_shard(
      call.server,
      [search](net::shard& s) {
        json::array out;
        s.core().for_each_session([&](const protocol::session_state& state) {
          const auto* live = state.attached;
          if (live == nullptr || out.size() >= k_max_items) return;
          const auto& user = live->username();
          if (!contains(state.client_id(), search) && !contains(live->source_address(), search) &&
              !(user && contains(*user, search))) {
            return;
          }
          json::object o{{"client_id", state.client_id()},
                         {"address", live->source_address()},
                         {"protocol_version", version_name(state.version)},
                         {"keep_alive", live->keep_alive()},
                         {"subscriptions", state.subscriptions.size()},
                         {"queue_depth", queue_depth(state)},
                         {"inflight", state.inflight.size()},
                         {"shard", s.index()}};
          o["username"] = user ? json::value(*user) : json::value(nullptr);
          out.push_back(std::move(o));
        });
        return out;
      },
      [c = std::move(call)](std::vector<json::array> parts) mutable {
        reply_array(c, std::move(parts), "clients");
      });
}

void disconnect_client(api_call& call, const std::string& client_id) {
  on_shard(
      call.server, owner_of(call.server, client_id),
      [client_id](net::shard& s) {
        return s.core().disconnect_client(client_id, protocol::clock::now());
      },
      [c = std::move(call), client_id](bool found) mutable {
        if (!found) return c.reply(json_error(http::status::not_found, "no such client"));
        c.reply(json_response(http::status::ok, json::object{{"disconnected", client_id}}));
      });
}

void list_subscriptions(api_call& call) {
  on_every_shard(
      call.server,
      [](net::shard& s) {
        json::array out;
        s.core().for_each_session([&](const protocol::session_state& state) {
          for (const auto& [filter, record] : state.subscriptions) {
            if (out.size() >= k_max_items) return;
            json::object o{{"client_id", state.client_id()},
                           {"filter", filter},
                           {"qos", static_cast<int>(record.options.max_qos)},
                           {"no_local", record.options.no_local},
                           {"retain_as_published", record.options.retain_as_published}};
            if (record.identifier) o["identifier"] = *record.identifier;
            out.push_back(std::move(o));
          }
        });
        return out;
      },
      [c = std::move(call)](std::vector<json::array> parts) mutable {
        reply_array(c, std::move(parts), "subscriptions");
      });
}

void list_sessions(api_call& call, std::string search) {
  on_every_shard(
      call.server,
      [search](net::shard& s) {
        json::array out;
        s.core().for_each_session([&](const protocol::session_state& state) {
          if (out.size() >= k_max_items || !contains(state.client_id(), search)) return;
          json::object o{{"client_id", state.client_id()},
                         {"connected", state.attached != nullptr},
                         {"protocol_version", version_name(state.version)},
                         {"expiry_interval", state.expiry_interval},
                         {"persistent", state.persisted},
                         {"subscriptions", state.subscriptions.size()},
                         {"queue_depth", queue_depth(state)},
                         {"inflight", state.inflight.size()},
                         {"dropped_messages", state.dropped_messages},
                         {"shard", s.index()}};
          out.push_back(std::move(o));
        });
        return out;
      },
      [c = std::move(call)](std::vector<json::array> parts) mutable {
        reply_array(c, std::move(parts), "sessions");
      });
}

void remove_session(api_call& call, const std::string& client_id) {
  on_shard(
      call.server, owner_of(call.server, client_id),
      [client_id](net::shard& s) {
        return s.core().remove_session(client_id, protocol::clock::now());
      },
      [c = std::move(call), client_id](bool found) mutable {
        if (!found) return c.reply(json_error(http::status::not_found, "no such session"));
        c.reply(json_response(http::status::ok, json::object{{"removed", client_id}}));
      });
}

void list_retained(api_call& call, const std::string& filter) {
  if (codec::validate_topic_filter(filter) != codec::topic_error::none) {
    return call.reply(json_error(http::status::bad_request, "not a valid topic filter"));
  }
  std::vector<protocol::message_ptr> found;
  // The retained store locks itself: read from here, no shard involved.
  call.server.shared().retained.match(filter, protocol::clock::now(), found);
  std::vector<json::array> parts(1);
  for (const auto& m : found) parts[0].push_back(message_json(*m));
  reply_array(call, std::move(parts), "retained");
}

void get_retained(api_call& call, const std::string& topic) {
  if (codec::validate_topic_name(topic) != codec::topic_error::none) {
    return call.reply(json_error(http::status::bad_request, "not a valid topic name"));
  }
  std::vector<protocol::message_ptr> found;
  call.server.shared().retained.match(topic, protocol::clock::now(), found);
  if (found.empty()) return call.reply(json_error(http::status::not_found, "no retained message"));
  call.reply(json_response(http::status::ok, message_json(*found.front())));
}

void delete_retained(api_call& call, const std::string& topic) {
  if (codec::validate_topic_name(topic) != codec::topic_error::none) {
    return call.reply(json_error(http::status::bad_request, "not a valid topic name"));
  }
  std::vector<protocol::message_ptr> found;
  call.server.shared().retained.match(topic, protocol::clock::now(), found);
  if (found.empty()) return call.reply(json_error(http::status::not_found, "no retained message"));
  // An empty retained message clears the topic, in memory and in the store, as a client's would.
  on_shard(
      call.server, 0,
      [topic](net::shard& s) {
        s.core().publish_from_broker(topic, {}, codec::qos::at_most_once, true,
                                     protocol::clock::now());
        return true;
      },
      [c = std::move(call), topic](bool) mutable {
        spdlog::info("admin HTTP: retained message on '{}' deleted", topic);
        c.reply(json_response(http::status::ok, json::object{{"deleted", topic}}));
      });
}

void publish(api_call& call, const std::string& body) {
  boost::system::error_code ec;
  const auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return call.reply(json_error(http::status::bad_request, "body is not a JSON object"));
  }
  const auto& o = parsed.as_object();
  const auto* topic = o.if_contains("topic");
  if (topic == nullptr || !topic->is_string()) {
    return call.reply(json_error(http::status::bad_request, "\"topic\" (string) is required"));
  }
  std::string name(topic->as_string());
  if (codec::validate_topic_name(name) != codec::topic_error::none || codec::is_sys_topic(name)) {
    return call.reply(json_error(http::status::bad_request, "not a topic one may publish to"));
  }
  std::string payload;
  if (const auto* p = o.if_contains("payload")) {
    if (!p->is_string()) {
      return call.reply(json_error(http::status::bad_request, "\"payload\" must be a string"));
    }
    payload = p->as_string();
  }
  std::int64_t qos = 0;
  if (const auto* q = o.if_contains("qos")) {
    if (!q->is_int64() || q->as_int64() < 0 || q->as_int64() > 2) {
      return call.reply(json_error(http::status::bad_request, "\"qos\" must be 0, 1 or 2"));
    }
    qos = q->as_int64();
  }
  bool retain = false;
  if (const auto* r = o.if_contains("retain")) {
    if (!r->is_bool()) {
      return call.reply(json_error(http::status::bad_request, "\"retain\" must be true or false"));
    }
    retain = r->as_bool();
  }
  on_shard(
      call.server, 0,
      [name, payload = std::move(payload), qos, retain](net::shard& s) {
        s.core().publish_from_broker(name,
                                     std::vector<std::uint8_t>(payload.begin(), payload.end()),
                                     static_cast<codec::qos>(qos), retain, protocol::clock::now());
        return true;
      },
      [c = std::move(call), name](bool) mutable {
        c.reply(json_response(http::status::ok, json::object{{"published", name}}));
      });
}

}  // namespace tern::admin
