#include "core/shard_core.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <random>

#include "codec/topic_rules.hpp"
#include "protocol/message_queue.hpp"
#include "protocol/session.hpp"

namespace tern::core {

using namespace protocol;
using codec::qos;

namespace {

constexpr std::uint32_t k_never_expires = 0xFFFF'FFFF;

qos min_qos(qos a, qos b) {
  return static_cast<std::uint8_t>(a) < static_cast<std::uint8_t>(b) ? a : b;
}

codec::reason_code granted_reason(qos q) {
  return static_cast<codec::reason_code>(q);
}

}  // namespace

std::size_t owner_shard(std::string_view client_id, std::size_t shard_count) noexcept {
  return std::hash<std::string_view>{}(client_id) % shard_count;
}

shard_core::shard_core(std::size_t index, broker_shared& shared, shard_links& links)
    : index_(index), shared_(shared), links_(links), outboxes_(shared.shard_count) {
  // Session ids carry the shard in their top bits so they are unique broker-wide.
  next_id_ = (static_cast<std::uint64_t>(index) << 48) + 1;
}

shard_core::~shard_core() {
  for (auto& [id, state] : sessions_) {
    for (const auto& [filter, record] : state->subscriptions) {
      shared_.subscriptions.remove(filter, {static_cast<std::uint32_t>(index_), state->id});
    }
  }
}

std::string shard_core::assign_client_id() {
  // An identifier that this shard hosts, so the connection needs no move [MQTT-3.1.3-6].
  thread_local std::mt19937_64 generator{std::random_device{}()};
  while (true) {
    auto id = fmt::format("auto-{:016x}{:016x}", generator(), generator());
    if (owner_shard(id, shared_.shard_count) == index_ && !sessions_.contains(id)) return id;
  }
}

attach_result shard_core::attach(session& s, const codec::connect& c, std::string& client_id,
                                 std::uint32_t expiry_interval, time_point now) {
  if (client_id.empty()) {
    client_id = assign_client_id();
  } else if (const auto owner = owner_shard(client_id, shared_.shard_count); owner != index_) {
    return attach_result{nullptr, false, codec::reason_code::success, owner};
  }

  session_state* state = nullptr;
  bool present = false;
  if (auto it = sessions_.find(client_id);
      it != sessions_.end() && it->second->expires_at && *it->second->expires_at <= now) {
    // Expired, though tick() has not run yet: it ends now, before anyone resumes it.
    publish_will(*it->second, now);
    destroy_session(*it->second, now);
  }
  if (auto it = sessions_.find(client_id); it != sessions_.end()) {
    state = it->second.get();
    unschedule(*state);  // reconnected: the pending will delay and expiry are cancelled
    if (state->attached != nullptr && state->attached != &s) {
      // Takeover [MQTT-3.1.4-3]: the old connection goes; its will follows the usual rules
      // with the new connection counting as a reconnect.
      state->attached->on_taken_over(now);
      const bool immediate =
          state->will && (c.clean_start || state->will->props.will_delay_interval.value_or(0) == 0);
      if (immediate) publish_will(*state, now);
      state->will.reset();
    }
    if (state->will_at && c.clean_start) publish_will(*state, now);  // the old session ends
    state->will.reset();
    state->will_at.reset();
    if (c.clean_start) {
      destroy_session(*state, now);
      state = nullptr;
    } else {
      present = true;
    }
  }
  if (state == nullptr) state = &create_session(client_id);
  state->online->store(true, std::memory_order_relaxed);
  state->expiry_interval = expiry_interval;
  state->expires_at.reset();
  return attach_result{state, present, codec::reason_code::success, std::nullopt};
}

session_state& shard_core::create_session(const std::string& client_id) {
  auto state = std::make_unique<session_state>();
  state->client_id = client_id;
  state->id = next_id_++;
  auto& ref = *state;
  by_id_[ref.id] = &ref;
  sessions_[client_id] = std::move(state);
  return ref;
}

void shard_core::destroy_session(session_state& state, time_point now) {
  unschedule(state);
  state.online->store(false, std::memory_order_relaxed);
  redistribute_shared(state, true, now);
  const session_key key{static_cast<std::uint32_t>(index_), state.id};
  for (const auto& [filter, record] : state.subscriptions) {
    shared_.subscriptions.remove(filter, key);
  }
  if (state.dropped_messages > 0) {
    spdlog::info("session {} ended; {} message(s) had been dropped by queue limits",
                 state.client_id, state.dropped_messages);
  }
  by_id_.erase(state.id);
  sessions_.erase(state.client_id);  // destroys `state`
}

void shard_core::detach(session_state& state, end_kind kind, time_point now) {
  state.online->store(false, std::memory_order_relaxed);
  redistribute_shared(state, false, now);
  if (kind == end_kind::normal) state.will.reset();  // [MQTT-3.1.2-10]
  if (state.will) {
    const auto delay = state.will->props.will_delay_interval.value_or(0);
    if (delay == 0 || state.expiry_interval == 0) {
      publish_will(state, now);
    } else {
      // Whichever comes first: the delay or the end of the session (checked in tick()).
      state.will_at = now + std::chrono::seconds(std::min(delay, state.expiry_interval));
      schedule(*state.will_at, state.id);
    }
  }
  if (state.expiry_interval == 0) {
    if (state.will_at) publish_will(state, now);
    return destroy_session(state, now);
  }
  if (state.expiry_interval != k_never_expires) {
    state.expires_at = now + std::chrono::seconds(state.expiry_interval);
    schedule(*state.expires_at, state.id);
  }
}

void shard_core::publish_will(session_state& state, time_point now) {
  if (!state.will) return;
  auto will = std::move(*state.will);
  state.will.reset();
  if (state.will_at) timers_.erase({*state.will_at, state.id});
  state.will_at.reset();
  publish(make_message(std::move(will.topic), std::move(will.payload), will.qos_level, will.retain,
                       std::move(will.props), now, state.id),
          now);
}

void shard_core::unschedule(session_state& state) {
  if (state.will_at) timers_.erase({*state.will_at, state.id});
  if (state.expires_at) timers_.erase({*state.expires_at, state.id});
}

void shard_core::schedule(time_point at, std::uint64_t session) {
  timers_.emplace(at, session);
}

void shard_core::tick(time_point now) {
  // One shard clears expired retained messages once a minute, so they do not pile up.
  if (index_ == 0 && (!next_retained_sweep_ || now >= *next_retained_sweep_)) {
    if (next_retained_sweep_) {
      if (const auto dropped = shared_.retained.sweep_expired(now); dropped > 0) {
        spdlog::debug("dropped {} expired retained message(s)", dropped);
      }
    }
    next_retained_sweep_ = now + std::chrono::minutes(1);
  }
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const auto id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    auto& state = *it->second;
    if (state.attached != nullptr) continue;  // reconnected since
    if (state.will_at && *state.will_at <= now) publish_will(state, now);
    if (state.expires_at && *state.expires_at <= now) {
      publish_will(state, now);  // the session ends: its will goes now at the latest
      destroy_session(state, now);
    }
  }
}

void shard_core::publish(message_ptr msg, time_point now) {
  if (msg->retain) shared_.retained.set(msg);
  hits_.clear();
  shared_.subscriptions.match(msg->topic, msg->origin_session, hits_);
  // Drop No Local matches [MQTT-3.8.3-3], then merge overlapping subscriptions per session.
  std::erase_if(hits_, [&](const match_hit& h) {
    return h.sub.options.no_local && h.key.session == msg->origin_session;
  });
  std::sort(hits_.begin(), hits_.end(),
            [](const match_hit& a, const match_hit& b) { return a.key < b.key; });
  for (std::size_t i = 0; i < hits_.size();) {
    const auto key = hits_[i].key;
    outbound_message out;
    out.msg = msg;
    qos granted = qos::at_most_once;
    bool retain_as_published = false;
    const std::size_t first = i;
    for (; i < hits_.size() && hits_[i].key == key; ++i) {
      const auto& sub = hits_[i].sub;
      if (static_cast<std::uint8_t>(sub.options.max_qos) > static_cast<std::uint8_t>(granted)) {
        granted = sub.options.max_qos;
      }
      retain_as_published = retain_as_published || sub.options.retain_as_published;
      if (sub.identifier) out.subscription_ids.push_back(*sub.identifier);
    }
    out.qos_level = min_qos(msg->qos_level, granted);
    // Live deliveries clear RETAIN unless the subscription asked otherwise [MQTT-3.3.1-12,13].
    out.retain = retain_as_published && msg->retain;
    if (i - first == 1) out.shared_filter = hits_[first].sub.shared_filter;
    deliver_to(key, std::move(out), now);
  }
}

void shard_core::deliver_to(session_key key, outbound_message out, time_point now) {
  if (key.shard == index_) return deliver_local(key.session, std::move(out), now);
  outboxes_[key.shard].push_back(remote_delivery{key.session, std::move(out)});
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    links_.schedule_outbox_flush(index_);
  }
}

void shard_core::redistribute_shared(session_state& state, bool fallback, time_point now) {
  const session_key self{static_cast<std::uint32_t>(index_), state.id};
  auto move_to_member = [&](outbound_message& out) {
    if (out.shared_filter.empty() || out.qos_level == qos::at_most_once) return false;
    const auto member = shared_.subscriptions.pick_shared_member(out.shared_filter, self, fallback);
    if (!member) return false;  // nobody else: it waits here for this member
    out.qos_level = min_qos(out.msg->qos_level, member->sub.options.max_qos);
    out.subscription_ids.clear();
    if (member->sub.identifier) out.subscription_ids.push_back(*member->sub.identifier);
    deliver_to(member->key, std::move(out), now);
    return true;
  };
  // QoS 1 in flight moves to another member (at least once holds). QoS 2 already sent stays:
  // its delivery completes with this client, or not at all [MQTT-4.8.2-4], [MQTT-4.8.2-5].
  std::erase_if(state.inflight, [&](inflight_message& m) {
    return m.out.qos_level == qos::at_least_once && move_to_member(m.out);
  });
  std::deque<outbound_message> kept;
  while (!state.queue.empty()) {
    auto out = dequeue(state);
    if (!move_to_member(out)) kept.push_back(std::move(out));
  }
  for (auto& out : kept) enqueue(state, std::move(out), shared_.settings);
}

void shard_core::flush_outboxes() {
  flush_scheduled_ = false;
  for (std::size_t target = 0; target < outboxes_.size(); ++target) {
    if (outboxes_[target].empty()) continue;
    std::vector<remote_delivery> batch;
    batch.swap(outboxes_[target]);
    links_.post_deliveries(target, std::move(batch));
  }
}

void shard_core::receive(std::vector<remote_delivery>&& batch, time_point now) {
  for (auto& d : batch) deliver_local(d.session, std::move(d.out), now);
}

void shard_core::deliver_local(std::uint64_t session, outbound_message out, time_point now) {
  auto it = by_id_.find(session);
  if (it == by_id_.end()) return;  // the session ended meanwhile
  auto& state = *it->second;
  if (state.attached != nullptr) {
    state.attached->deliver(std::move(out), now);
    return;
  }
  // Offline: keep QoS 1/2 (and QoS 0 when configured) for the session's return.
  if (out.qos_level == qos::at_most_once && !shared_.settings.queue_qos0_offline) return;
  if (out.msg->expired(now)) return;
  if (!enqueue(state, std::move(out), shared_.settings)) {
    spdlog::debug("queue of offline session {} full: message dropped ({} so far)", state.client_id,
                  state.dropped_messages);
  }
}

subscribe_result shard_core::subscribe(session_state& state, const codec::subscription& sub,
                                       std::optional<std::uint32_t> identifier) {
  const session_key key{static_cast<std::uint32_t>(index_), state.id};
  subscription_record record{sub.options, identifier};
  const bool existed = state.subscriptions.contains(sub.filter);
  state.subscriptions[sub.filter] = record;
  shared_.subscriptions.add(sub.filter, key, subscriber{sub.options, identifier, state.online, {}});
  return subscribe_result{granted_reason(sub.options.max_qos), existed};
}

bool shard_core::unsubscribe(session_state& state, std::string_view filter) {
  auto it = state.subscriptions.find(filter);
  if (it == state.subscriptions.end()) return false;
  shared_.subscriptions.remove(filter, {static_cast<std::uint32_t>(index_), state.id});
  state.subscriptions.erase(it);
  return true;
}

void shard_core::send_retained(session& s, const codec::subscription& sub,
                               std::optional<std::uint32_t> identifier, time_point now) {
  std::vector<message_ptr> matches;
  shared_.retained.match(sub.filter, now, matches);
  for (auto& msg : matches) {
    outbound_message out;
    out.qos_level = min_qos(msg->qos_level, sub.options.max_qos);
    out.retain = true;  // a retained message sent for a new subscription [MQTT-3.3.1-9]
    if (identifier) out.subscription_ids.push_back(*identifier);
    out.msg = std::move(msg);
    s.deliver(std::move(out), now);
  }
}

}  // namespace tern::core
