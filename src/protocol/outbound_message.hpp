#pragma once
// A message on its way to one session, with what its subscription decided for it.

#include <cstdint>
#include <string>
#include <vector>

#include "codec/types.hpp"
#include "protocol/message.hpp"

namespace tern::protocol {

// A message on its way to this session, with the per-subscriber delivery parameters.
struct outbound_message {
  message_ptr msg;
  codec::qos qos_level = codec::qos::at_most_once;  // min(published, granted)
  bool retain = false;                              // flag as sent to this subscriber
  // Read back from the store after a restart: the packet identifier a QoS 1 message may have
  // reached the client with before it; it goes again with this identifier and DUP. 0: new.
  std::uint16_t packet_id = 0;
  std::vector<std::uint32_t> subscription_ids;
  // Set when only a shared subscription matched: if this member leaves before acknowledging,
  // the message goes to another member of the group.
  std::string shared_filter;
  // The store holds an entry for this message in this session's queue (persistent sessions,
  // QoS 1/2): it goes when the delivery completes or the message is dropped.
  bool stored = false;
};

// The packet identifier a stored message is first sent with, derived from its store id: the
// store can tell it after a restart without a write per delivery. Its entry records another
// identifier only when this one was in use by another message in flight.
constexpr std::uint16_t stored_packet_id(std::uint64_t store_id) noexcept {
  return static_cast<std::uint16_t>(1 + store_id % 65'535);
}

}  // namespace tern::protocol
