#include "core/subscription_index.hpp"

#include "codec/topic_rules.hpp"

namespace tern::core {

namespace {

bool is_online(const subscriber& s) {
  return s.presence && s.presence->online.load(std::memory_order_relaxed);
}

}  // namespace

// Walks the members from `start`, skipping offline ones and `excluded`. With `fallback`, the
// member at `start` is taken when none is online, so that the message waits in its queue.
const subscription_index::trie_type::entry* subscription_index::pick_member(
    const trie_type::share_group& group, std::size_t start, const session_key* excluded,
    bool fallback) {
  const auto count = group.members().size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto& member = group.members()[(start + i) % count];
    if (excluded != nullptr && member.key == *excluded) continue;
    if (is_online(member.value)) return &member;
  }
  if (!fallback || count == 0) return nullptr;
  const auto& member = group.members()[start % count];
  if (excluded != nullptr && member.key == *excluded) return nullptr;
  return &member;
}

std::size_t subscription_index::start_member(trie_type::share_group& group,
                                             std::uint64_t publisher) {
  switch (strategy_) {
    case share_strategy::round_robin:
      return group.cursor++;
    case share_strategy::random:
      return static_cast<std::size_t>(random_());
    case share_strategy::hash_publisher:
      return std::hash<std::uint64_t>{}(publisher);
  }
  return 0;
}

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

void subscription_index::match(std::string_view topic, std::uint64_t publisher,
                               std::vector<match_hit>& out) {
  std::lock_guard lock(mutex_);
  trie_.match(
      topic,
      [&out](const trie_type::entry& e) {
        out.push_back({e.key, e.value});
      },
      [&](std::string_view, trie_type::share_group& group) {
        const auto start = start_member(group, publisher);
        if (const auto* member = pick_member(group, start, nullptr, true)) {
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
  const auto* member = pick_member(*group, group->cursor++, &excluded, fallback);
  if (member == nullptr) return std::nullopt;
  return match_hit{member->key, member->value};
}

std::size_t subscription_index::size() {
  std::lock_guard lock(mutex_);
  return trie_.size();
}

}  // namespace tern::core
