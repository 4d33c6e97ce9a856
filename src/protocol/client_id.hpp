#pragma once
// Identifiers the server assigns to clients that connect with an empty one [MQTT-3.1.3-6].

#include <string>

namespace tern::protocol {

// "auto-" followed by 32 random hex digits: unique in practice, and recognisable in logs.
std::string make_assigned_client_id();

}  // namespace tern::protocol
