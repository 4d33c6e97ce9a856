#include "storage/snapshot.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_set>

namespace tern::storage {

namespace {

// Logs how far a long load has come, at most every two seconds.
class progress {
 public:
  void tick(const char* what) {
    if (++count_ % 65'536 != 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::seconds(2)) return;
    last_ = now;
    spdlog::info("loading store: {} records read ({})", count_, what);
  }
  std::size_t count() const { return count_; }

 private:
  std::size_t count_ = 0;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

template <typename Record, typename Decode>
void read_all(kv_backend& backend, char kind, const char* what, Decode decode,
              std::vector<Record>& out, snapshot& s, write_batch& cleanup, progress& p) {
  backend.scan(std::string_view(&kind, 1), [&](std::string_view key, std::string_view value) {
    p.tick(what);
    if (auto record = decode(key, value)) {
      out.push_back(std::move(*record));
    } else {
      ++s.damaged;
      cleanup.erase(bytes(key));
    }
    return true;
  });
}

}  // namespace

snapshot load_snapshot(kv_backend& backend, write_batch& cleanup) {
  snapshot s;
  progress p;
  const auto started = std::chrono::steady_clock::now();

  read_all<session_record>(backend, keys::session, "sessions", decode_session, s.sessions, s,
                           cleanup, p);
  std::unordered_set<std::uint64_t> live_sessions;
  for (const auto& r : s.sessions) {
    live_sessions.insert(r.session_id);
    s.highest_id = std::max(s.highest_id, r.session_id);
  }

  auto keep_if_owned = [&](auto& records, auto key_of) {
    std::erase_if(records, [&](const auto& r) {
      if (live_sessions.contains(r.session_id)) return false;
      ++s.orphans;
      cleanup.erase(key_of(r));
      return true;
    });
  };

  read_all<subscription_record>(backend, keys::subscription, "subscriptions", decode_subscription,
                                s.subscriptions, s, cleanup, p);
  keep_if_owned(s.subscriptions, [](const subscription_record& r) {
    return keys::of_subscription(r.session_id, r.filter);
  });
  read_all<inbound_record>(
      backend, keys::inbound, "inbound QoS 2 ids",
      [](std::string_view key, std::string_view) { return decode_inbound(key); }, s.inbound, s,
      cleanup, p);
  keep_if_owned(s.inbound, [](const inbound_record& r) {
    return keys::of_inbound(r.session_id, r.packet_id);
  });

  std::vector<message_record> messages;
  read_all<message_record>(backend, keys::message, "messages", decode_message, messages, s, cleanup,
                           p);
  s.messages.reserve(messages.size());
  for (auto& m : messages) {
    s.highest_id = std::max(s.highest_id, m.id);
    s.messages.emplace(m.id, std::move(m));
  }
  messages.clear();

  read_all<entry_record>(backend, keys::entry, "queued messages", decode_entry, s.entries, s,
                         cleanup, p);
  keep_if_owned(s.entries,
                [](const entry_record& r) { return keys::of_entry(r.session_id, r.message_id); });
  std::erase_if(s.entries, [&](const entry_record& r) {
    if (r.message || s.messages.contains(r.message_id)) return false;
    ++s.orphans;
    cleanup.erase(keys::of_entry(r.session_id, r.message_id));
    return true;
  });
  read_all<paged_record>(backend, keys::paged, "paged queued messages", decode_paged, s.paged, s,
                         cleanup, p);
  std::erase_if(s.paged, [&](const paged_record& r) {
    const auto& e = r.entry;
    if (live_sessions.contains(e.session_id) && (e.message || s.messages.contains(e.message_id))) {
      return false;
    }
    ++s.orphans;
    cleanup.erase(keys::of_paged(e.session_id, r.seq));
    return true;
  });
  read_all<retained_record>(backend, keys::retained, "retained messages", decode_retained,
                            s.retained, s, cleanup, p);
  std::erase_if(s.retained, [&](const retained_record& r) {
    s.highest_id = std::max(s.highest_id, r.seq);
    if (r.message_id == 0) {  // deleted: only the newest change had to be kept until now
      cleanup.erase(keys::of_retained(r.topic));
      return true;
    }
    if (s.messages.contains(r.message_id)) return false;
    ++s.orphans;
    cleanup.erase(keys::of_retained(r.topic));
    return true;
  });

  // Messages nobody refers to any more (their last reference went while the broker was down).
  std::unordered_set<std::uint64_t> referenced;
  for (const auto& e : s.entries) {
    if (!e.message) referenced.insert(e.message_id);
    s.highest_id = std::max(s.highest_id, e.message_id);
  }
  for (const auto& r : s.paged) {
    if (!r.entry.message) referenced.insert(r.entry.message_id);
    s.highest_id = std::max(s.highest_id, r.entry.message_id);
  }
  for (const auto& r : s.retained) referenced.insert(r.message_id);
  std::erase_if(s.messages, [&](const auto& item) {
    if (referenced.contains(item.first)) return false;
    ++s.orphans;
    cleanup.erase(keys::of_message(item.first));
    return true;
  });

  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  spdlog::info(
      "store loaded in {} ms: {} session(s), {} subscription(s), {} queued message(s), {} "
      "retained, {} record(s) read",
      elapsed.count(), s.sessions.size(), s.subscriptions.size(), s.entries.size() + s.paged.size(),
      s.retained.size(), p.count());
  if (s.damaged > 0) {
    spdlog::error("store: {} damaged record(s) could not be read and were dropped", s.damaged);
  }
  if (s.orphans > 0) spdlog::info("store: {} leftover record(s) removed", s.orphans);
  return s;
}

}  // namespace tern::storage
