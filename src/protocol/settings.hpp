#pragma once
// Protocol limits that the broker configuration hands to every session.

#include <chrono>
#include <cstdint>

#include "codec/types.hpp"

namespace tern::protocol {

struct session_settings {
  // Largest packet accepted from a client, fixed header included; announced in CONNACK (MQTT 5).
  std::uint32_t max_packet_size = 1'048'576;
  // A socket that sends no complete CONNECT within this time is closed.
  std::chrono::milliseconds connect_timeout{10'000};
  // Highest keep-alive a client may use. MQTT 5 clients are told the lower value through Server
  // Keep Alive; 3.1/3.1.1 clients asking for more are refused, as Mosquitto does.
  std::uint16_t max_keep_alive = 65'535;
  // MQTT 3.1 limits client identifiers to 23 bytes; accept longer ones when false.
  bool strict_v31_client_id_length = true;
};

}  // namespace tern::protocol
