#pragma once
// Subscription trie: topic filters split on '/', one node per level, '+' and '#' as dedicated
// children. match() walks only the branches a topic can reach, so its cost grows with the depth
// of the topic and the number of matching entries, not with the number of subscriptions.
//
// Model. A node holds the entries whose filter ends at it: plain entries keyed by subscriber, and
// shared-subscription groups ("$share/<group>/<filter>", [MQTT-4.8.2]) each holding members and
// a round-robin cursor. Topics starting with '$' are not matched by filters whose first level is
// a wildcard [MQTT-4.7.2-1]. "a/#" also matches "a" [MQTT-4.7.1-2].
//
// Thread: not synchronised; the owner wraps it in a lock (core::subscription_index).

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tern::topic {

// Calls fn(level) for each '/'-separated level of `topic` (empty levels included).
template <typename Fn>
void for_each_level(std::string_view topic, Fn&& fn) {
  std::size_t start = 0;
  while (true) {
    const auto slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      fn(topic.substr(start));
      return;
    }
    fn(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

// Lets unordered maps keyed by std::string be searched with a std::string_view, no allocation.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <typename Key, typename Value, typename KeyHash = std::hash<Key>>
class subscription_trie {
 public:
  struct entry {
    Key key;
    Value value;
  };
  // The entries of one filter (or one shared group), in a vector for matching. Past a few
  // entries a key -> position index keeps subscribe and unsubscribe O(1) however many clients
  // share the filter (100,000 subscribers of one topic must not cost 100,000^2 / 2 compares).
  class entry_list {
   public:
    std::vector<entry> items;

    entry* find(const Key& key) {
      if (index_) {
        auto it = index_->find(key);
        return it == index_->end() ? nullptr : &items[it->second];
      }
      for (auto& e : items) {
        if (e.key == key) return &e;
      }
      return nullptr;
    }
    void add(entry e) {
      items.push_back(std::move(e));
      if (index_) {
        index_->emplace(items.back().key, items.size() - 1);
      } else if (items.size() > k_index_threshold) {
        index_ = std::make_unique<std::unordered_map<Key, std::size_t, KeyHash>>();
        for (std::size_t i = 0; i < items.size(); ++i) index_->emplace(items[i].key, i);
      }
    }
    // Removes by moving the last entry into the hole (order among entries carries no meaning).
    bool remove(const Key& key) {
      entry* e = find(key);
      if (e == nullptr) return false;
      const auto pos = static_cast<std::size_t>(e - items.data());
      if (index_) index_->erase(key);
      if (pos + 1 != items.size()) {
        items[pos] = std::move(items.back());
        if (index_) (*index_)[items[pos].key] = pos;
      }
      items.pop_back();
      if (items.empty()) index_.reset();
      return true;
    }
    bool empty() const noexcept { return items.empty(); }

   private:
    static constexpr std::size_t k_index_threshold = 8;
    std::unique_ptr<std::unordered_map<Key, std::size_t, KeyHash>> index_;
  };
  struct share_group {
    entry_list list;
    std::size_t cursor = 0;  // next member for round-robin delivery
    // In the order round robin walks them.
    const std::vector<entry>& members() const noexcept { return list.items; }
  };

  // Adds or replaces the entry of `key` on `filter` (in `group` when not empty).
  // Returns true when the entry is new.
  bool insert(std::string_view filter, std::string_view group, const Key& key, Value value) {
    node* n = &root_;
    for_each_level(filter, [&n](std::string_view level) { n = &n->child(level); });
    auto& list = group.empty() ? n->entries : n->groups[std::string(group)].list;
    if (entry* existing = list.find(key)) {
      existing->value = std::move(value);
      return false;
    }
    list.add(entry{key, std::move(value)});
    ++size_;
    return true;
  }

  // Removes the entry of `key` on `filter`; returns true when one existed.
  bool erase(std::string_view filter, std::string_view group, const Key& key) {
    std::vector<std::pair<node*, std::string_view>> path;
    node* n = &root_;
    bool found = true;
    for_each_level(filter, [&](std::string_view level) {
      if (!found) return;
      node* next = n->find(level);
      if (next == nullptr) {
        found = false;
        return;
      }
      path.emplace_back(n, level);
      n = next;
    });
    if (!found) return false;
    bool removed = false;
    if (group.empty()) {
      removed = n->entries.remove(key);
    } else if (auto it = n->groups.find(std::string(group)); it != n->groups.end()) {
      removed = it->second.list.remove(key);
      if (it->second.list.empty()) n->groups.erase(it);
    }
    if (!removed) return false;
    --size_;
    // Prune empty nodes bottom-up so that churn does not leave the trie growing.
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      node* child = it->first->find(it->second);
      if (child == nullptr || !child->empty()) break;
      it->first->remove_child(it->second);
    }
    return true;
  }

  // Calls on_entry(const entry&) for each plain match and on_group(group name, share_group&)
  // for each shared group with at least one member whose filter matches `topic`.
  template <typename OnEntry, typename OnGroup>
  void match(std::string_view topic, OnEntry&& on_entry, OnGroup&& on_group) {
    std::vector<std::string_view> levels;
    for_each_level(topic, [&levels](std::string_view l) { levels.push_back(l); });
    const bool dollar = !topic.empty() && topic.front() == '$';
    match_node(root_, levels, 0, dollar, on_entry, on_group);
  }

  // The shared group `group` on `filter`, or null.
  share_group* find_group(std::string_view filter, std::string_view group) {
    node* n = &root_;
    bool found = true;
    for_each_level(filter, [&](std::string_view level) {
      if (found) n = n->find(level);
      found = n != nullptr;
    });
    if (!found) return nullptr;
    auto it = n->groups.find(group);
    return it == n->groups.end() ? nullptr : &it->second;
  }

  // Calls fn(filter, key, value, group) for every entry. For tests and introspection.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    std::string prefix;
    walk(root_, prefix, true, fn);
  }

  std::size_t size() const noexcept { return size_; }

 private:
  struct node {
    std::unordered_map<std::string, std::unique_ptr<node>, string_hash, std::equal_to<>> children;
    std::unique_ptr<node> plus;
    std::unique_ptr<node> hash;
    entry_list entries;
    std::map<std::string, share_group, std::less<>> groups;

    node& child(std::string_view level) {
      auto& slot = level == "+" ? plus : level == "#" ? hash : children[std::string(level)];
      if (!slot) slot = std::make_unique<node>();
      return *slot;
    }
    node* find(std::string_view level) {
      if (level == "+") return plus.get();
      if (level == "#") return hash.get();
      auto it = children.find(level);
      return it == children.end() ? nullptr : it->second.get();
    }
    void remove_child(std::string_view level) {
      if (level == "+") return plus.reset();
      if (level == "#") return hash.reset();
      if (auto it = children.find(level); it != children.end()) children.erase(it);
    }
    bool empty() const {
      return children.empty() && !plus && !hash && entries.empty() && groups.empty();
    }
  };

  template <typename OnEntry, typename OnGroup>
  static void emit(node& n, OnEntry& on_entry, OnGroup& on_group) {
    for (const auto& e : n.entries.items) on_entry(e);
    for (auto& [name, group] : n.groups) {
      if (!group.list.empty()) on_group(std::string_view(name), group);
    }
  }

  template <typename OnEntry, typename OnGroup>
  static void match_node(node& n, const std::vector<std::string_view>& levels, std::size_t depth,
                         bool dollar, OnEntry& on_entry, OnGroup& on_group) {
    const bool wildcards_allowed = !(dollar && depth == 0);
    // '#' matches this level and everything below, including the parent level itself.
    if (n.hash && wildcards_allowed) emit(*n.hash, on_entry, on_group);
    if (depth == levels.size()) {
      emit(n, on_entry, on_group);
      return;
    }
    if (n.plus && wildcards_allowed) {
      match_node(*n.plus, levels, depth + 1, dollar, on_entry, on_group);
    }
    if (auto it = n.children.find(levels[depth]); it != n.children.end()) {
      match_node(*it->second, levels, depth + 1, dollar, on_entry, on_group);
    }
  }

  template <typename Fn>
  static void walk(const node& n, std::string& prefix, bool root, Fn& fn) {
    for (const auto& e : n.entries.items)
      fn(std::string_view(prefix), e.key, e.value, std::string_view());
    for (const auto& [name, group] : n.groups) {
      for (const auto& e : group.list.items)
        fn(std::string_view(prefix), e.key, e.value, std::string_view(name));
    }
    auto descend = [&](std::string_view level, const node& child) {
      const auto size = prefix.size();
      if (!root) prefix.push_back('/');
      prefix.append(level);
      walk(child, prefix, false, fn);
      prefix.resize(size);
    };
    for (const auto& [level, child] : n.children) descend(level, *child);
    if (n.plus) descend("+", *n.plus);
    if (n.hash) descend("#", *n.hash);
  }

  node root_;
  std::size_t size_ = 0;
};

}  // namespace tern::topic
