#pragma once
// The bounded per-session queue of messages waiting for delivery.

#include "protocol/session_state.hpp"
#include "protocol/settings.hpp"

namespace tern::protocol {

// Appends `out` to the session's queue, applying the count and byte limits and the configured
// policy when full. Returns the messages dropped for it (this one, or the oldest ones).
std::vector<outbound_message> enqueue(session_state& state, outbound_message out,
                                      const session_settings& settings);

// Removes and returns the oldest queued message.
outbound_message dequeue(session_state& state);

}  // namespace tern::protocol
