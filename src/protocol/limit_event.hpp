#pragma once
// The moments a configured limit bites. The transport counts each kind per shard and logs it,
// rate-limited, so a flood of refusals does not become a flood of log lines.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::protocol {

enum class limit_event : std::uint8_t {
  connection_limit,             // the broker-wide max_connections was reached
  listener_connection_limit,    // a listener's max_connections was reached
  connection_closed_at_accept,  // far beyond a connection limit: closed without a CONNACK
  connection_rate,              // a source address opened connections faster than allowed
  memory_refusal,               // CONNECT refused above the memory ceiling
  topic_refused,                // PUBLISH or will topic beyond max_topic_length / levels
  filter_refused,               // subscription filter beyond max_topic_length / levels
  qos0_dropped_memory,          // QoS 0 delivery to a slow consumer dropped above the ceiling
  slow_consumer,                // disconnected after its output stayed full too long
  login_checks_busy,            // CONNECT refused: too many password checks pending
};

inline constexpr std::size_t k_limit_event_count = 10;

constexpr std::string_view to_string(limit_event event) noexcept {
  switch (event) {
    case limit_event::connection_limit:
      return "connection limit";
    case limit_event::listener_connection_limit:
      return "listener connection limit";
    case limit_event::connection_closed_at_accept:
      return "connection closed at accept";
    case limit_event::connection_rate:
      return "connection rate limit";
    case limit_event::memory_refusal:
      return "memory ceiling (connection refused)";
    case limit_event::topic_refused:
      return "topic limit";
    case limit_event::filter_refused:
      return "topic filter limit";
    case limit_event::qos0_dropped_memory:
      return "memory ceiling (QoS 0 message for slow client dropped)";
    case limit_event::slow_consumer:
      return "slow consumer";
    case limit_event::login_checks_busy:
      return "pending password checks (login refused)";
  }
  return "limit";
}

}  // namespace tern::protocol
