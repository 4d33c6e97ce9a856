#include "core/subscription_index.hpp"

#include "codec/topic_rules.hpp"

namespace tern::core {

bool subscription_index::add(std::string_view filter, session_key key, subscriber sub) {
  const auto parts = codec::split_shared_filter(filter);
  std::lock_guard lock(mutex_);
  return trie_.insert(parts.filter, parts.share_name, key, sub);
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
      [&out](const auto& entry) {
        out.push_back({entry.key, entry.value});
      },
      [&out](std::string_view, auto& group) {
        const auto& member = group.members[group.cursor++ % group.members.size()];
        out.push_back({member.key, member.value});
      });
}

std::size_t subscription_index::size() {
  std::lock_guard lock(mutex_);
  return trie_.size();
}

}  // namespace tern::core
