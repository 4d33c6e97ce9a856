#pragma once
// The broker-wide subscription index: one trie shared by every shard behind a mutex. A publish
// locks it once, collects the matching subscribers, and releases it before delivering.
//
// Thread: any; every access takes the lock.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "auth/access_control.hpp"
#include "codec/packets.hpp"
#include "protocol/session_state.hpp"
#include "topic/subscription_trie.hpp"

namespace tern::core {

// A session anywhere in the broker: the shard hosting it and its id there.
struct session_key {
  std::uint32_t shard = 0;
  std::uint64_t session = 0;
  bool operator==(const session_key&) const = default;
  auto operator<=>(const session_key&) const = default;
};

struct session_key_hash {
  std::size_t operator()(const session_key& k) const noexcept {
    // Session ids are unique broker-wide; the shard adds nothing.
    return std::hash<std::uint64_t>{}(k.session);
  }
};

struct subscriber {
  codec::subscription_options options;
  std::optional<std::uint32_t> identifier;
  // Whether the session has a live connection (shared groups prefer online members) and a
  // record in the store (its QoS 1/2 messages are stored).
  boost::intrusive_ptr<const protocol::session_presence> presence;
  // The full "$share/<group>/<filter>" for members of a shared group, empty otherwise.
  std::string shared_filter;
  // What the ACL lets this subscription receive.
  auth::read_grant read;
};

struct match_hit {
  session_key key;
  subscriber sub;
};

// How a shared group picks the member for a message (online members first in every case).
enum class share_strategy : std::uint8_t {
  round_robin,     // the next member in turn
  random,          // a random member
  hash_publisher,  // the same member for every message of one publisher (keeps its order)
};

class subscription_index {
 public:
  explicit subscription_index(share_strategy strategy = share_strategy::round_robin)
      : strategy_(strategy) {}
  // Any time (a configuration reload): the next pick uses it.
  void set_strategy(share_strategy strategy) {
    std::lock_guard lock(mutex_);
    strategy_ = strategy;
  }

  // `filter` is the full filter, "$share/group/..." included. Returns true when new.
  bool add(std::string_view filter, session_key key, subscriber sub);
  bool remove(std::string_view filter, session_key key);
  // Appends every plain match and one member per matching shared group: the next online member
  // in round-robin order, or the next member when none is online (it queues the message).
  // `publisher` is the publishing session (for hash_publisher).
  void match(std::string_view topic, std::uint64_t publisher, std::vector<match_hit>& out);
  // The next online member of a shared subscription other than `excluded`; with `fallback`, an
  // offline one when no member is online.
  std::optional<match_hit> pick_shared_member(std::string_view shared_filter, session_key excluded,
                                              bool fallback);
  std::size_t size();

 private:
  using trie_type = topic::subscription_trie<session_key, subscriber, session_key_hash>;
  std::size_t start_member(trie_type::share_group& group, std::uint64_t publisher);
  static const trie_type::entry* pick_member(const trie_type::share_group& group, std::size_t start,
                                             const session_key* excluded, bool fallback);

  std::mutex mutex_;
  trie_type trie_;
  share_strategy strategy_;
  std::minstd_rand random_{std::random_device{}()};
};

}  // namespace tern::core
