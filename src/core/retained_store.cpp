#include "core/retained_store.hpp"

#include <utility>

namespace tern::core {

namespace {
std::vector<std::string_view> split(std::string_view topic) {
  std::vector<std::string_view> levels;
  topic::for_each_level(topic, [&levels](std::string_view l) { levels.push_back(l); });
  return levels;
}
}  // namespace

protocol::message_ptr retained_store::set(const protocol::message_ptr& msg) {
  const auto levels = split(msg->topic);
  std::lock_guard lock(mutex_);
  return set_locked(msg, levels);
}

protocol::message_ptr retained_store::set(const protocol::message_ptr& msg,
                                          std::atomic<std::uint64_t>& sequence,
                                          std::uint64_t& seq) {
  const auto levels = split(msg->topic);
  std::lock_guard lock(mutex_);
  seq = sequence.fetch_add(1, std::memory_order_relaxed);
  return set_locked(msg, levels);
}

protocol::message_ptr retained_store::set_locked(const protocol::message_ptr& msg,
                                                 const std::vector<std::string_view>& levels) {
  if (msg->payload.empty()) {
    // An empty retained payload deletes the topic's retained message [MQTT-3.3.1-6].
    node* n = &root_;
    for (auto level : levels) {
      auto it = n->children.find(level);
      if (it == n->children.end()) return nullptr;
      n = it->second.get();
    }
    if (n->msg) --size_;
    auto old = std::exchange(n->msg, nullptr);
    prune(root_, levels, 0);
    return old;
  }
  node* n = &root_;
  for (auto level : levels) {
    auto it = n->children.find(level);
    if (it == n->children.end()) {
      it = n->children.emplace(std::string(level), std::make_unique<node>()).first;
    }
    n = it->second.get();
  }
  if (!n->msg) ++size_;
  return std::exchange(n->msg, msg);
}

bool retained_store::prune(node& n, const std::vector<std::string_view>& levels,
                           std::size_t depth) {
  if (depth < levels.size()) {
    auto it = n.children.find(levels[depth]);
    if (it != n.children.end() && prune(*it->second, levels, depth + 1)) n.children.erase(it);
  }
  return !n.msg && n.children.empty();
}

void retained_store::collect_all(const node& n, protocol::time_point now,
                                 std::vector<protocol::message_ptr>& out) {
  if (n.msg && !n.msg->expired(now)) out.push_back(n.msg);
  for (const auto& [level, child] : n.children) collect_all(*child, now, out);
}

void retained_store::match_node(const node& n, const std::vector<std::string_view>& levels,
                                std::size_t depth, protocol::time_point now,
                                std::vector<protocol::message_ptr>& out) {
  if (depth == levels.size()) {
    if (n.msg && !n.msg->expired(now)) out.push_back(n.msg);
    return;
  }
  const auto level = levels[depth];
  // Wildcards in the first level do not reach '$' topics [MQTT-4.7.2-1].
  const auto visible = [depth](const std::string& name) {
    return depth != 0 || name.empty() || name.front() != '$';
  };
  if (level == "#") {
    // "a/#" matches "a" itself as well as everything below it [MQTT-4.7.1-2].
    if (depth > 0 && n.msg && !n.msg->expired(now)) out.push_back(n.msg);
    for (const auto& [name, child] : n.children) {
      if (visible(name)) collect_all(*child, now, out);
    }
    return;
  }
  if (level == "+") {
    for (const auto& [name, child] : n.children) {
      if (visible(name)) match_node(*child, levels, depth + 1, now, out);
    }
    return;
  }
  if (auto it = n.children.find(level); it != n.children.end()) {
    match_node(*it->second, levels, depth + 1, now, out);
  }
}

void retained_store::match(std::string_view filter, protocol::time_point now,
                           std::vector<protocol::message_ptr>& out) {
  const auto levels = split(filter);
  std::lock_guard lock(mutex_);
  match_node(root_, levels, 0, now, out);
}

std::size_t retained_store::sweep(node& n, protocol::time_point now,
                                  std::vector<protocol::message_ptr>& dropped_out) {
  std::size_t dropped = 0;
  if (n.msg && n.msg->expired(now)) {
    dropped_out.push_back(std::move(n.msg));
    n.msg.reset();
    ++dropped;
  }
  for (auto it = n.children.begin(); it != n.children.end();) {
    dropped += sweep(*it->second, now, dropped_out);
    if (!it->second->msg && it->second->children.empty()) {
      it = n.children.erase(it);
    } else {
      ++it;
    }
  }
  return dropped;
}

std::vector<protocol::message_ptr> retained_store::sweep_expired(protocol::time_point now) {
  std::vector<protocol::message_ptr> dropped;
  std::lock_guard lock(mutex_);
  size_ -= sweep(root_, now, dropped);
  return dropped;
}

std::size_t retained_store::size() {
  std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace tern::core
