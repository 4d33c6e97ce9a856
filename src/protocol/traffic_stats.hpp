#pragma once
// Traffic counters of one shard: packets, PUBLISH messages and bytes in and out, messages
// dropped by reason, failed logins. Read by $SYS, /metrics and the admin API, which add the
// shards together when they read.
//
// Thread: written only by the owning shard thread (its sessions and connections), read from any
// thread. A single writer needs no read-modify-write: each counter is a relaxed load and store of
// its own atomic, as cheap as a plain increment, and readers never see a torn value.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::protocol {

class shard_counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Why a message did not reach a subscriber (or the broker).
enum class drop_reason : std::uint8_t {
  queue_full,      // the session queue's count or byte limit
  slow_consumer,   // QoS 0 for a client whose output is backlogged
  memory_ceiling,  // QoS 0 for a client with output waiting, above max_memory
  too_large,       // larger than the client's Maximum Packet Size
  expired,         // its Message Expiry Interval passed while it waited
  not_authorized,  // a PUBLISH the client may not make (ACL, $SYS), not routed
};
inline constexpr std::size_t k_drop_reason_count = 6;

constexpr std::string_view to_string(drop_reason reason) noexcept {
  switch (reason) {
    case drop_reason::queue_full:
      return "queue_full";
    case drop_reason::slow_consumer:
      return "slow_consumer";
    case drop_reason::memory_ceiling:
      return "memory_ceiling";
    case drop_reason::too_large:
      return "too_large";
    case drop_reason::expired:
      return "expired";
    case drop_reason::not_authorized:
      return "not_authorized";
  }
  return "other";
}

struct traffic_stats {
  shard_counter packets_received;  // every MQTT control packet
  shard_counter packets_sent;
  std::array<shard_counter, 3> publish_received;  // by QoS
  std::array<shard_counter, 3> publish_sent;
  std::array<shard_counter, 3> payload_bytes_received;  // PUBLISH payload bytes, by QoS
  std::array<shard_counter, 3> payload_bytes_sent;
  shard_counter bytes_received;  // on the wire (TLS: decrypted MQTT bytes)
  shard_counter bytes_sent;
  std::array<shard_counter, k_drop_reason_count> dropped;
  shard_counter auth_failures;  // logins refused for bad credentials or as anonymous
  shard_counter connections;    // clients whose CONNECT was accepted

  void drop(drop_reason reason, std::uint64_t n = 1) noexcept {
    dropped[static_cast<std::size_t>(reason)].add(n);
  }
};

}  // namespace tern::protocol
