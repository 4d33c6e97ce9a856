#pragma once
// What Tern keeps on disk, as plain records, and their byte encoding.
//
// Key space (ids are 64-bit big-endian, so keys sort in id order):
//   'm' msg_id                -> message_record   one per message, shared by every entry
//   'q' session_id msg_id     -> entry_record     a message queued or in flight for a session
//                                                 (carrying the message when only it holds it)
//   'p' session_id seq        -> msg_id + entry_record   a queued message paged out of memory,
//                                                 in the session's paging order (seq)
//   'u' session_id filter     -> subscription_record
//   'i' session_id packet_id  -> (empty)          inbound QoS 2 id awaiting PUBREL
//   'r' topic                 -> msg_id seq       the retained message of a topic (merged:
//                                                 the value with the highest seq wins)
//   's' session_id            -> session_record
//   'x' "format"              -> format version
// Session ids and message ids come from one sequence that survives restarts, so a session that
// ends and a new one with the same client identifier never share keys.
//
// Times are wall-clock milliseconds since the Unix epoch (steady clocks do not survive a
// restart); 0 means "none".

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/packets.hpp"

namespace tern::storage {

using bytes = std::string;  // keys and values as RocksDB sees them

struct message_record {
  std::uint64_t id = 0;
  std::uint64_t origin_session = 0;
  std::string topic;
  codec::binary payload;
  codec::qos qos_level = codec::qos::at_most_once;
  bool retain = false;
  std::int64_t expires_at_ms = 0;
  codec::properties props;  // the forwarded ones (see protocol::make_message)
  bool operator==(const message_record&) const = default;
};

struct entry_record {
  std::uint64_t session_id = 0;
  std::uint64_t message_id = 0;
  codec::qos qos_level = codec::qos::at_least_once;
  bool retain = false;
  std::uint16_t packet_id = 0;   // QoS 2 sent with this id (0: not sent yet)
  bool pubrec_received = false;  // QoS 2: PUBREL sent, waiting for PUBCOMP
  std::vector<std::uint32_t> subscription_ids;
  std::string shared_filter;
  // The message itself, when it has no record of its own: a message queued for one session
  // only (not retained) is written with its entry, which halves the writes of the common case.
  std::optional<message_record> message;
  bool operator==(const entry_record&) const = default;
};

// An entry of a session queue that lives on disk only (see core::queue paging), numbered in
// the order it joined the queue.
struct paged_record {
  std::uint64_t seq = 0;
  entry_record entry;
  bool operator==(const paged_record&) const = default;
};

struct subscription_record {
  std::uint64_t session_id = 0;
  std::string filter;
  codec::subscription_options options;
  std::optional<std::uint32_t> identifier;
  bool operator==(const subscription_record&) const = default;
};

struct session_record {
  std::uint64_t session_id = 0;
  std::string client_id;
  codec::protocol_version version = codec::protocol_version::v5;
  std::uint32_t expiry_interval = 0;
  std::int64_t expires_at_ms = 0;  // set while disconnected
  std::optional<codec::will_message> will;
  std::int64_t will_at_ms = 0;  // a will waiting for its delay
  // Who the client was, for ACL checks while it is away. Records written before Tern stored
  // it have no identity (identity_known false): such a session is unknown until it reconnects.
  bool identity_known = false;
  std::optional<std::string> username;  // none: anonymous
  bool operator==(const session_record&) const = default;
};

struct inbound_record {
  std::uint64_t session_id = 0;
  std::uint16_t packet_id = 0;
  bool operator==(const inbound_record&) const = default;
};

struct retained_record {
  std::string topic;
  std::uint64_t message_id = 0;  // 0: the topic's retained message was deleted
  // Order of the in-memory changes of the topic (an id of the broker's sequence): the store
  // keeps the newest value whatever order concurrent shards commit in.
  std::uint64_t seq = 0;
  bool operator==(const retained_record&) const = default;
};

// What encoding a message or an entry reads, without owning it: the broker encodes its live
// messages through these without copying them into records first.
struct message_view {
  std::uint64_t origin_session = 0;
  codec::qos qos_level = codec::qos::at_most_once;
  bool retain = false;
  std::int64_t expires_at_ms = 0;
  std::string_view topic;
  std::span<const std::uint8_t> payload;
  const codec::properties* props = nullptr;  // the forwarded ones; null: none
};

struct entry_view {
  codec::qos qos_level = codec::qos::at_least_once;
  bool retain = false;
  std::uint16_t packet_id = 0;
  bool pubrec_received = false;
  std::span<const std::uint32_t> subscription_ids;
  std::string_view shared_filter;
  const message_view* message = nullptr;  // the message, when it travels in its entry
};

namespace keys {
inline constexpr char message = 'm';
inline constexpr char entry = 'q';
inline constexpr char paged = 'p';
inline constexpr char subscription = 'u';
inline constexpr char inbound = 'i';
inline constexpr char retained = 'r';
inline constexpr char session = 's';
inline constexpr char meta = 'x';

bytes of_message(std::uint64_t id);
bytes of_entry(std::uint64_t session_id, std::uint64_t message_id);
// The same key without an allocation (view it with key_view).
using fixed_entry_key = std::array<char, 1 + 8 + 8>;
fixed_entry_key entry_key(std::uint64_t session_id, std::uint64_t message_id);
inline std::string_view key_view(const fixed_entry_key& key) {
  return std::string_view(key.data(), key.size());
}
bytes of_paged(std::uint64_t session_id, std::uint64_t seq);
bytes of_subscription(std::uint64_t session_id, std::string_view filter);
bytes of_inbound(std::uint64_t session_id, std::uint16_t packet_id);
bytes of_retained(std::string_view topic);
bytes of_session(std::uint64_t session_id);
// Whether `key` is a message, session, entry or paged key: a prefix and then an id, with no
// other key of the store between two consecutive ids (see write_batch::coalesce_erase_runs).
bool ends_in_id(std::string_view key);
// [begin, end) covering every key of `kind` ('q', 'p', 'u', 'i') that belongs to a session.
std::pair<bytes, bytes> session_range(char kind, std::uint64_t session_id);
}  // namespace keys

bytes encode(const message_record& r);
bytes encode(const entry_record& r);
// Append the encodings of what a view shows to `out`.
void encode_message(const message_view& message, bytes& out);
void encode_entry(const entry_view& entry, bytes& out);
void encode_paged(std::uint64_t message_id, const entry_view& entry, bytes& out);
bytes encode(const paged_record& r);
bytes encode(const subscription_record& r);
bytes encode(const session_record& r);
bytes encode_retained(std::uint64_t message_id, std::uint64_t seq);
// Of two retained values of one topic, the newer (higher seq; the first when equal or damaged).
std::string_view newer_retained(std::string_view a, std::string_view b);

// Decoders take the key and the value; they return nothing for a damaged record.
std::optional<message_record> decode_message(std::string_view key, std::string_view value);
std::optional<entry_record> decode_entry(std::string_view key, std::string_view value);
std::optional<paged_record> decode_paged(std::string_view key, std::string_view value);
std::optional<subscription_record> decode_subscription(std::string_view key,
                                                       std::string_view value);
std::optional<session_record> decode_session(std::string_view key, std::string_view value);
std::optional<inbound_record> decode_inbound(std::string_view key);
std::optional<retained_record> decode_retained(std::string_view key, std::string_view value);

}  // namespace tern::storage
