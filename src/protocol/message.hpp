#pragma once
// An application message as the broker routes it: immutable once published and shared by every
// queue and subscriber that holds it (one allocation per PUBLISH, whatever the fan-out).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "codec/packets.hpp"

namespace tern::protocol {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

// Told when a message that has a record in the store is no longer referenced in memory, so the
// record can go too. Must outlive every message.
class message_reclaimer {
 public:
  virtual ~message_reclaimer() = default;
  virtual void reclaim(std::uint64_t store_id) noexcept = 0;
};

struct message {
  std::string topic;
  codec::binary payload;
  codec::qos qos_level = codec::qos::at_most_once;
  bool retain = false;
  // Properties forwarded to subscribers: payload format, content type, response topic,
  // correlation data, user properties. Never topic alias or subscription identifiers. Null when
  // there are none, as for most messages (a properties block is ~470 bytes).
  std::unique_ptr<const codec::properties> props;
  std::optional<time_point> expires_at;  // from Message Expiry Interval
  std::uint64_t origin_session = 0;      // publisher's session, for No Local; 0 = the broker
  // Set by the core when the message is written to the store (before it is shared).
  std::uint64_t store_id = 0;
  message_reclaimer* reclaimer = nullptr;

  message() = default;
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message() {
    if (reclaimer != nullptr) reclaimer->reclaim(store_id);
  }

  bool expired(time_point now) const noexcept { return expires_at && now >= *expires_at; }
  const codec::properties& properties() const noexcept {
    static const codec::properties none;
    return props ? *props : none;
  }
  // Keeps `forwarded` unless it is empty.
  void set_properties(codec::properties&& forwarded) {
    if (forwarded.empty()) {
      props.reset();
    } else {
      props = std::make_unique<const codec::properties>(std::move(forwarded));
    }
  }
};

using message_ptr = std::shared_ptr<const message>;
using mutable_message_ptr = std::shared_ptr<message>;  // before it is shared

// A message from a PUBLISH or a will: keeps the properties a broker forwards (payload format,
// content type, response topic, correlation data, user properties) and turns Message Expiry
// Interval into an instant.
mutable_message_ptr make_message(std::string topic, codec::binary payload, codec::qos qos_level,
                                 bool retain, codec::properties&& props, time_point now,
                                 std::uint64_t origin_session);

}  // namespace tern::protocol
