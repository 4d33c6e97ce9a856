// Operator actions on a shard's sessions (admin API), and messages the broker publishes itself.
// Run on the shard's thread: the admin API posts them there.

#include <spdlog/spdlog.h>

#include "core/shard_core.hpp"
#include "protocol/session.hpp"

namespace tern::core {

bool shard_core::disconnect_client(std::string_view client_id, protocol::time_point now) {
  const auto it = sessions_.find(client_id);
  if (it == sessions_.end() || (*it)->attached == nullptr) return false;
  spdlog::info("client {}: disconnected by an administrator", client_id);
  (*it)->attached->on_admin_disconnect(now);
  return true;
}

bool shard_core::remove_session(std::string_view client_id, protocol::time_point now) {
  const auto it = sessions_.find(client_id);
  if (it == sessions_.end()) return false;
  auto& state = **it;
  spdlog::info("session {}: removed by an administrator", client_id);
  if (state.attached != nullptr) {
    state.expiry_interval = 0;  // the session ends with the connection
    state.attached->on_admin_disconnect(now);
    return true;
  }
  publish_will(state, now);  // the session ends: a waiting will goes now
  destroy_session(state, now);
  return true;
}

void shard_core::publish_from_broker(std::string topic, std::vector<std::uint8_t> payload,
                                     codec::qos q, bool retain, protocol::time_point now) {
  publish(nullptr,
          protocol::make_message(std::move(topic), std::move(payload), q, retain, {}, now, 0), now);
}

}  // namespace tern::core
