#include "core/subscription_index.hpp"

#include "codec/topic_rules.hpp"

namespace tern::core {

namespace {

using trie_type = topic::subscription_trie<session_key, subscriber>;

bool is_online(const subscriber& s) {
  return s.online && s.online->load(std::memory_order_relaxed);
}

// Round robin over the members, skipping offline ones and `excluded`. With `fallback`, the next
// member is taken when none is online, so that the message waits in its queue.
const trie_type::entry* next_member(trie_type::share_group& group, const session_key* excluded,
                                    bool fallback) {
  const auto count = group.members.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto& member = group.members[group.cursor++ % count];
    if (excluded != nullptr && member.key == *excluded) continue;
    if (is_online(member.value)) return &member;
  }
  if (!fallback || count == 0) return nullptr;
  return &group.members[group.cursor++ % count];
}

}  // namespace

bool subscription_index::add(std::string_view filter, session_key key, subscriber sub) {
  const auto parts = codec::split_shared_filter(filter);
  if (!parts.share_name.empty()) sub.shared_filter = std::string(filter);
  std::lock_guard lock(mutex_);
  return trie_.insert(parts.filter, parts.share_name, key, std::move(sub));
}

bool subscription_index::remove(std::string_view filter, session_key key) {
  const auto parts = codec::split_shared_filter(filter);
  std::lock_guard lock(mutex_);
  return trie_.erase(parts.filter, parts.share_name, key);
}

void subscription_index::match(std::string_view topic, std::vector<match_hit>& out) {
  std::lock_guard lock(mutex_);
  trie_.match(
      topic,
      [&out](const trie_type::entry& e) {
        out.push_back({e.key, e.value});
      },
      [&out](std::string_view, trie_type::share_group& group) {
        if (const auto* member = next_member(group, nullptr, true)) {
          out.push_back({member->key, member->value});
        }
      });
}

std::optional<match_hit> subscription_index::pick_shared_member(std::string_view shared_filter,
                                                                session_key excluded,
                                                                bool fallback) {
  const auto parts = codec::split_shared_filter(shared_filter);
  std::lock_guard lock(mutex_);
  auto* group = trie_.find_group(parts.filter, parts.share_name);
  if (group == nullptr) return std::nullopt;
  const auto* member = next_member(*group, &excluded, fallback);
  if (member != nullptr && member->key == excluded) return std::nullopt;
  if (member == nullptr) return std::nullopt;
  return match_hit{member->key, member->value};
}

std::size_t subscription_index::size() {
  std::lock_guard lock(mutex_);
  return trie_.size();
}

}  // namespace tern::core
