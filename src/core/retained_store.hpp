#pragma once
// Retained messages [MQTT-3.3.1-5..8], indexed by topic level like the subscription trie so a
// wildcard subscribe walks only the branches its filter can reach.
//
// Thread: any; every access takes the lock. Messages are immutable and shared.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/message.hpp"
#include "topic/subscription_trie.hpp"

namespace tern::core {

class retained_store {
 public:
  // Stores `msg` for its topic, or deletes the topic's message when the payload is empty.
  // Returns the message it replaced or deleted (null when there was none).
  protocol::message_ptr set(const protocol::message_ptr& msg);
  // As set(), and draws from `sequence`, under the same lock, the number (`seq`) that orders
  // this change against other shards' changes of the topic in the store.
  protocol::message_ptr set(const protocol::message_ptr& msg, std::atomic<std::uint64_t>& sequence,
                            std::uint64_t& seq);
  // Appends the unexpired retained messages whose topic matches `filter`.
  void match(std::string_view filter, protocol::time_point now,
             std::vector<protocol::message_ptr>& out);
  std::size_t size();
  // Drops retained messages whose expiry has passed and the branches left empty. Returns the
  // dropped messages. Walks the whole store: call it rarely.
  std::vector<protocol::message_ptr> sweep_expired(protocol::time_point now);

 private:
  struct node {
    std::unordered_map<std::string, std::unique_ptr<node>, topic::string_hash, std::equal_to<>>
        children;
    protocol::message_ptr msg;
  };
  protocol::message_ptr set_locked(const protocol::message_ptr& msg,
                                   const std::vector<std::string_view>& levels);
  static void collect_all(const node& n, protocol::time_point now,
                          std::vector<protocol::message_ptr>& out);
  static void match_node(const node& n, const std::vector<std::string_view>& levels,
                         std::size_t depth, protocol::time_point now,
                         std::vector<protocol::message_ptr>& out);
  static bool prune(node& n, const std::vector<std::string_view>& levels, std::size_t depth);
  static std::size_t sweep(node& n, protocol::time_point now,
                           std::vector<protocol::message_ptr>& dropped_out);

  std::mutex mutex_;
  node root_;
  std::size_t size_ = 0;
};

}  // namespace tern::core
