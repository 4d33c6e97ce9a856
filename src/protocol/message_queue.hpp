#pragma once
// The bounded per-session queue of messages waiting for delivery.

#include "protocol/broker_port.hpp"
#include "protocol/session_state.hpp"
#include "protocol/settings.hpp"

namespace tern::protocol {

// Appends `out` to the session's queue, applying the count and byte limits and the configured
// policy when full. Returns the messages dropped for it (this one, or the oldest ones). With a
// `pager`, a stored message of an offline session beyond `max_queued_in_memory` (or behind paged
// ones) goes to disk; for an attached client it waits in memory behind the paged ones.
std::vector<outbound_message> enqueue(session_state& state, outbound_message out,
                                      const session_settings& settings,
                                      broker_port* pager = nullptr, time_point now = {});

// Appends a message read back from disk (already counted against the limits as paged).
void append_loaded(session_state& state, outbound_message out);

// Removes and returns, oldest first, the queued messages beyond the first `keep`.
std::vector<outbound_message> take_tail(session_state& state, std::size_t keep);

// Removes and returns, oldest first, the messages waiting behind paged ones.
std::vector<outbound_message> take_behind_paged(session_state& state);

// Once nothing is paged any more, what waited behind the paged messages joins the queue.
void unpage_behind(session_state& state);

// What a queued message counts against max_queued_bytes.
std::size_t queued_cost(const outbound_message& m) noexcept;

// Removes and returns the oldest queued message.
outbound_message dequeue(session_state& state);

}  // namespace tern::protocol
