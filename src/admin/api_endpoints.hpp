#pragma once
// The /api/v1 endpoints behind admin_api's routing and credential check. Each answers through
// `call.reply`, on the control thread, after the shards it needed have run their part.
//
// Thread: the control thread.

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "admin/http_server.hpp"

namespace tern::net {
class server;
}

namespace tern::admin {

struct api_call {
  net::server& server;
  http_reply reply;
};

http_response json_response(boost::beast::http::status status, const boost::json::value& body);
http_response json_error(boost::beast::http::status status, std::string_view message);

void health(api_call& call);
// 200 while the store accepts writes (or there is none), 503 otherwise.
void ready(api_call& call);
// Connected clients whose identifier, username or address contains `search`.
void list_clients(api_call& call, std::string search);
void disconnect_client(api_call& call, const std::string& client_id);
void list_subscriptions(api_call& call);
void list_sessions(api_call& call, std::string search);
void remove_session(api_call& call, const std::string& client_id);
void list_retained(api_call& call, const std::string& filter);
void get_retained(api_call& call, const std::string& topic);
void delete_retained(api_call& call, const std::string& topic);
// Body: {"topic": "...", "payload": "...", "qos": 0, "retain": false}.
void publish(api_call& call, const std::string& body);

}  // namespace tern::admin
