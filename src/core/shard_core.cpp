#include "core/shard_core.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
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
    : index_(index),
      shared_(shared),
      links_(links),
      outboxes_(shared.shard_count),
      journal_(shared.committer) {}

shard_core::~shard_core() {
  for (const auto& state : sessions_) {
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
  if (auto it = sessions_.find(std::string_view{client_id});
      it != sessions_.end() && (*it)->expires_at && *(*it)->expires_at <= now) {
    // Expired, though tick() has not run yet: it ends now, before anyone resumes it.
    publish_will(**it, now);
    destroy_session(**it, now);
  }
  if (auto it = sessions_.find(std::string_view{client_id}); it != sessions_.end()) {
    state = it->get();
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
  if (state == nullptr) {
    state = &create_session(std::make_shared<const auth::client_identity>(
        auth::client_identity{client_id, s.username()}));
  } else if (!state->identity_known || state->identity->username != s.username()) {
    state->identity = std::make_shared<const auth::client_identity>(
        auth::client_identity{client_id, s.username()});
  }
  state->identity_known = true;
  if (present && acl_snapshot()) {
    // The subscriptions now read with this client's rights (it may be another user, or the
    // session may come from the store with no identity yet).
    const session_key key{static_cast<std::uint32_t>(index_), state->id};
    for (const auto& [filter, record] : state->subscriptions) {
      shared_.subscriptions.add(filter, key, subscriber_of(*state, filter, record));
    }
  }
  state->mark_online(true);
  state->expiry_interval = expiry_interval;
  state->version = c.version;
  state->expires_at.reset();
  persist_session(*state, c.will ? &*c.will : nullptr, now);
  // CONNACK only once the session (or the will of a clean one) is stored.
  if (state->persisted || state->will_stored) hold_output(*state);
  return attach_result{state, present, codec::reason_code::success, std::nullopt};
}

void shard_core::persist_session(session_state& state, const codec::will_message* will,
                                 time_point now) {
  if (!journal_.enabled()) return;
  if (state.expiry_interval == 0) {
    // Not persistent (any more): what the store held for it goes, but for paged entries,
    // which still wait there for delivery.
    if (state.persisted) {
      journal_.erase_session(state.id, state.paged().count() > 0);
    } else if (state.will_stored && will == nullptr) {
      journal_.erase_session_record(state.id);
    }
    set_persisted(state, false);
    // Its will keeps a record (expiry 0, nothing else) while the connection lasts: a crash ends
    // the connection without DISCONNECT, and the restart publishes it. Without a will, nothing
    // is written: clean sessions come and go at the connect rate.
    if (will != nullptr) journal_.put_session(state, will, now);
    state.will_stored = will != nullptr;
  } else {
    journal_.put_session(state, will, now);
    set_persisted(state, true);
    state.will_stored = false;  // the session's own record holds the will
  }
  request_flush();
}

void shard_core::set_persisted(session_state& state, bool persisted) {
  state.persisted = persisted;
  state.mark_persistent(persisted);
}

void shard_core::hold_output(session_state& state) {
  state.hold_ticket = journal_.open_ticket();
  request_flush();
}

void shard_core::drop_entry(session_state& state, const outbound_message& out) {
  if (!out.stored) return;
  journal_.erase_entry(state.id, out.msg->store_id);
  request_flush();
}

void shard_core::restore(restored_session&& restored,
                         const std::unordered_map<std::uint64_t, message_ptr>& messages,
                         time_point now) {
  const auto& record = restored.record;
  if (auto it = sessions_.find(std::string_view{record.client_id}); it != sessions_.end()) {
    // Two records for one client identifier: the newer session wins.
    if ((*it)->id > record.session_id) {
      journal_.erase_session(record.session_id);
      return;
    }
    journal_.erase_session((*it)->id);
    destroy_session(**it, now);
  }
  auto owned = std::make_unique<session_state>();
  auto& state = *owned;
  state.id = record.session_id;
  state.version = record.version;
  state.expiry_interval = record.expiry_interval;
  // Its subscriptions are checked against the ACL as this user while the client is away.
  state.identity = std::make_shared<const auth::client_identity>(
      auth::client_identity{record.client_id, record.username});
  state.identity_known = record.identity_known;
  set_persisted(state, true);
  by_id_.insert(&state);
  sessions_.insert(std::move(owned));

  const session_key key{static_cast<std::uint32_t>(index_), state.id};
  for (auto& sub : restored.subscriptions) {
    state.subscriptions[sub.filter] = subscription_record{sub.options, sub.identifier};
    shared_.subscriptions.add(sub.filter, key,
                              subscriber_of(state, sub.filter, state.subscriptions[sub.filter]));
  }
  std::uint16_t highest_packet_id = 0;
  // Message id order is every publisher's order; what goes beyond the in-memory limit is paged
  // anew, numbered from 0 again.
  std::stable_sort(restored.entries.begin(), restored.entries.end(),
                   [](const auto& a, const auto& b) { return a.message_id < b.message_id; });
  if (restored.had_paged) {
    auto [begin, end] = storage::keys::session_range(storage::keys::paged, state.id);
    journal_.batch_erase_range(begin, end);
  }
  for (auto& entry : restored.entries) {
    outbound_message out;
    out.msg = messages.at(entry.message_id);
    out.qos_level = entry.qos_level;
    out.retain = entry.retain;
    out.subscription_ids = std::move(entry.subscription_ids);
    out.shared_filter = std::move(entry.shared_filter);
    out.stored = true;
    if (entry.qos_level == qos::exactly_once && entry.packet_id != 0) {
      // A QoS 2 message the client may have: it goes again with the same identifier.
      state.inflight.push_back(
          inflight_message{std::move(out), entry.packet_id, entry.pubrec_received, true});
      highest_packet_id = std::max(highest_packet_id, entry.packet_id);
    } else {
      // A QoS 1 message that may have been sent waits in the queue with its identifier (see
      // restore_broker): that keeps the queue's limits and paging.
      if (entry.qos_level == qos::at_least_once) out.packet_id = entry.packet_id;
      const auto queued = state.queue.size();
      for (const auto& dropped : enqueue(state, std::move(out), shared_.settings, this, now)) {
        drop_entry(state, dropped);
      }
      // It stays in memory: it needs its entry, which a paged one lost with the range erase.
      if (restored.had_paged && state.queue.size() > queued) {
        journal_.put_entry(state.id, state.queue.back(), now);
      }
    }
  }
  state.next_packet_id =
      static_cast<std::uint16_t>(highest_packet_id == 65'535 ? 1 : highest_packet_id + 1);
  state.inbound_qos2.insert(restored.inbound.begin(), restored.inbound.end());

  // A session whose connection was open at the crash counts as disconnected now.
  if (state.expiry_interval != k_never_expires) {
    state.expires_at = record.expires_at_ms != 0
                           ? from_wall_ms(record.expires_at_ms, now)
                           : now + std::chrono::seconds(state.expiry_interval);
    schedule(*state.expires_at, state.id);
  }
  // A record without expiry holds a clean session's will: its connection ended with the
  // crash, so the session ends at the first tick, publishing the will and erasing the record.
  if (record.will) {
    state.will = std::make_unique<codec::will_message>(*record.will);
    const auto delay =
        std::min(record.will->props.will_delay_interval.value_or(0), state.expiry_interval);
    state.will_at = record.will_at_ms != 0 ? from_wall_ms(record.will_at_ms, now)
                                           : now + std::chrono::seconds(delay);
    schedule(*state.will_at, state.id);
  }
}

session_state& shard_core::create_session(std::shared_ptr<const auth::client_identity> identity) {
  // Only for an identifier without a session (attach ends an old one first).
  assert(!sessions_.contains(std::string_view{identity->client_id}));
  auto state = std::make_unique<session_state>();
  state->identity = std::move(identity);
  state->id = shared_.next_id.fetch_add(1, std::memory_order_relaxed);
  auto& ref = *state;
  by_id_.insert(&ref);
  sessions_.insert(std::move(state));
  return ref;
}

void shard_core::destroy_session(session_state& state, time_point now) {
  unschedule(state);
  release_paged(state);
  state.mark_online(false);
  if (state.persisted) {
    journal_.erase_session(state.id);
    set_persisted(state, false);
    request_flush();
  } else if (state.will_stored) {  // a clean session's will, discarded
    journal_.erase_session_record(state.id);
    request_flush();
  }
  redistribute_shared(state, true, now);
  const session_key key{static_cast<std::uint32_t>(index_), state.id};
  for (const auto& [filter, record] : state.subscriptions) {
    shared_.subscriptions.remove(filter, key);
  }
  if (state.dropped_messages > 0) {
    spdlog::info("session {} ended; {} message(s) had been dropped by queue limits",
                 state.client_id(), state.dropped_messages);
  }
  by_id_.erase(state.id);
  // By iterator: the erase destroys `state`, which holds the key.
  if (const auto it = sessions_.find(state.client_id()); it != sessions_.end()) sessions_.erase(it);
}

void shard_core::detach(session_state& state, end_kind kind, time_point now) {
  state.mark_online(false);
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
  page_out_backlog(state, now);
  persist_session(state, state.will ? &*state.will : nullptr, now);
}

void shard_core::publish_will(session_state& state, time_point now) {
  if (!state.will) return;
  auto will = std::move(*state.will);
  state.will.reset();
  if (state.will_at) timers_.erase({*state.will_at, state.id});
  state.will_at.reset();
  if (state.persisted || state.will_stored) persist_session(state, nullptr, now);
  // Checked when it is due, against the ACL of that moment (it may have been reloaded since
  // CONNECT); a will from a session restored from a record without identity is not sent.
  if (!may_publish(state, will.topic)) return;
  publish(nullptr,
          make_message(std::move(will.topic), std::move(will.payload), will.qos_level, will.retain,
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
      // Their store records go as the messages leave memory; the topic's key, which a newer
      // message from another shard may already have replaced, is cleared at the next start.
      if (const auto dropped = shared_.retained.sweep_expired(now); !dropped.empty()) {
        spdlog::debug("dropped {} expired retained message(s)", dropped.size());
      }
    }
    next_retained_sweep_ = now + std::chrono::minutes(1);
  }
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const auto id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    auto& state = **it;
    if (state.attached != nullptr) continue;  // reconnected since
    if (state.will_at && *state.will_at <= now) publish_will(state, now);
    if (state.expires_at && *state.expires_at <= now) {
      publish_will(state, now);  // the session ends: its will goes now at the latest
      destroy_session(state, now);
    }
  }
}

void shard_core::publish(session_state* publisher, mutable_message_ptr msg, time_point now) {
  hits_.clear();
  shared_.subscriptions.match(msg->topic, msg->origin_session, hits_);
  // Drop No Local matches [MQTT-3.8.3-3] and subscriptions whose ACL does not let them read
  // this topic, then merge overlapping subscriptions per session.
  const auto acl = acl_snapshot();
  std::erase_if(hits_, [&](const match_hit& h) {
    return (h.sub.options.no_local && h.key.session == msg->origin_session) ||
           (acl && !auth::may_receive(*acl, h.sub.read, msg->topic));
  });
  std::sort(hits_.begin(), hits_.end(),
            [](const match_hit& a, const match_hit& b) { return a.key < b.key; });
  // $SYS values are regenerated at every interval: the store never sees them.
  const bool durable = journal_.enabled() && (msg->qos_level != qos::at_most_once || msg->retain) &&
                       !codec::is_sys_topic(msg->topic);
  std::size_t stored_entries = 0;
  targets_.clear();
  for (std::size_t i = 0; i < hits_.size();) {
    const auto key = hits_[i].key;
    outbound_message out;
    out.msg = msg;
    qos granted = qos::at_most_once;
    bool retain_as_published = false;
    bool persistent = false;
    const std::size_t first = i;
    for (; i < hits_.size() && hits_[i].key == key; ++i) {
      const auto& sub = hits_[i].sub;
      if (static_cast<std::uint8_t>(sub.options.max_qos) > static_cast<std::uint8_t>(granted)) {
        granted = sub.options.max_qos;
      }
      retain_as_published = retain_as_published || sub.options.retain_as_published;
      if (sub.identifier) out.subscription_ids.push_back(*sub.identifier);
      persistent = sub.presence && sub.presence->persistent.load(std::memory_order_relaxed);
    }
    out.qos_level = min_qos(msg->qos_level, granted);
    // Live deliveries clear RETAIN unless the subscription asked otherwise [MQTT-3.3.1-12,13].
    out.retain = retain_as_published && msg->retain;
    if (i - first == 1) out.shared_filter = hits_[first].sub.shared_filter;
    out.stored = durable && persistent && out.qos_level != qos::at_most_once;
    stored_entries += out.stored ? 1 : 0;
    targets_.emplace_back(key, std::move(out));
  }

  // Written once and referenced by every entry and the retained topic; a message for a single
  // entry travels inside it instead (half the writes for fan-in and pairs).
  const bool retained_value = msg->retain && !msg->payload.empty();
  bool wrote = false;
  if (durable && (stored_entries > 0 || retained_value)) {
    msg->store_id = shared_.next_id.fetch_add(1, std::memory_order_relaxed);
    if (stored_entries > 1 || retained_value) {
      msg->reclaimer = shared_.reclaimer;
      journal_.put_message(*msg, now, /*fresh=*/true);
    }
    for (const auto& [key, out] : targets_) {
      if (out.stored) journal_.put_entry(key.session, out, now, 0, false, /*fresh=*/true);
    }
    wrote = true;
  }
  if (msg->retain) {
    std::uint64_t seq = 0;
    auto replaced = shared_.retained.set(msg, shared_.next_id, seq);
    if (durable) {
      // Another shard may change the topic in a batch that commits before or after this one:
      // the store keeps the value with the higher seq, the one memory holds.
      journal_.set_retained(msg->topic, retained_value ? msg->store_id : 0, seq);
      wrote = true;
      if (replaced) retired_retained_.emplace_back(journal_.open_ticket(), std::move(replaced));
    }
  }
  if (wrote) {
    request_flush();
    // The publisher's PUBACK / PUBREC waits for the write.
    if (publisher != nullptr && msg->qos_level != qos::at_most_once) hold_output(*publisher);
  }
  if (msg->qos_level == qos::exactly_once && (wrote || !held_.empty())) {
    // QoS 2 deliveries wait for the write too: a crash must not leave a delivered message the
    // publisher will send again (a duplicate). Later ones wait behind them to keep arrival order.
    // QoS 0 and QoS 1 never wait: order is kept per topic and QoS [MQTT-4.6.0-6]; a QoS 1
    // message delivered before its write and sent again after a crash is an allowed duplicate,
    // and one acknowledged before its write is not written at all (see group_committer).
    // A message that wrote nothing joins the last group, whose ticket is already on its way.
    const auto ticket = journal_.open_ticket();
    if (held_.empty() || (wrote && held_.back().ticket != ticket)) held_.push_back({ticket, {}});
    auto& group = held_.back().deliveries;
    group.insert(group.end(), std::make_move_iterator(targets_.begin()),
                 std::make_move_iterator(targets_.end()));
    return;
  }
  for (auto& [key, out] : targets_) deliver_to(key, std::move(out), now);
}

void shard_core::on_durable(std::uint64_t ticket, time_point now) {
  journal_.mark_durable(ticket);
  // Their topics' new records are durable: the old messages may go (from this shard's next
  // batch on).
  while (!retired_retained_.empty() && retired_retained_.front().first <= ticket) {
    retired_retained_.pop_front();
  }
  while (!held_.empty() && held_.front().ticket <= ticket) {
    auto group = std::move(held_.front().deliveries);
    held_.pop_front();
    for (auto& [key, out] : group) deliver_to(key, std::move(out), now);
  }
  if (!awaiting_page_in_.empty()) {
    auto waiting = std::exchange(awaiting_page_in_, {});
    for (const auto id : waiting) {
      auto it = by_id_.find(id);
      if (it == by_id_.end()) continue;  // ended meanwhile
      auto& state = **it;
      if (!journal_.durable(state.paged().ticket)) {
        awaiting_page_in_.push_back(id);
        continue;
      }
      state.paging_in = false;
      if (state.attached == nullptr) continue;  // read when the client is back
      load_paged(state, now);
      state.attached->on_queue_refilled(now);
    }
  }
}

void shard_core::request_flush() {
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    links_.schedule_outbox_flush(index_);
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
    out.packet_id = 0;  // an identifier this client may know means nothing to the other one
    // The store entry moves with it, in one batch.
    drop_entry(state, out);
    const auto& presence = member->sub.presence;
    out.stored = out.msg->store_id != 0 && out.qos_level != qos::at_most_once && presence &&
                 presence->persistent.load(std::memory_order_relaxed);
    if (out.stored) journal_.put_entry(member->key.session, out, now);
    deliver_to(member->key, std::move(out), now);
    return true;
  };
  // QoS 1 in flight moves to another member (at least once holds). QoS 2 already sent stays:
  // its delivery completes with this client, or not at all [MQTT-4.8.2-4], [MQTT-4.8.2-5].
  state.inflight.erase_if([&](inflight_message& m) {
    return m.out.qos_level == qos::at_least_once && move_to_member(m.out);
  });
  std::deque<outbound_message> kept;
  while (!state.queue.empty()) {
    auto out = dequeue(state);
    if (!move_to_member(out)) kept.push_back(std::move(out));
  }
  for (auto& out : kept) enqueue(state, std::move(out), shared_.settings);  // fits: it was there
}

void shard_core::flush_outboxes() {
  flush_scheduled_ = false;
  if (journal_.has_changes()) {
    auto [batch, ticket] = journal_.take();
    links_.commit(index_, std::move(batch), ticket);
  }
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
  auto& state = **it;
  if (state.attached != nullptr) {
    state.attached->deliver(std::move(out), now);
    return;
  }
  // Offline: keep QoS 1/2 (and QoS 0 when configured) for the session's return.
  if (out.qos_level == qos::at_most_once && !shared_.settings.queue_qos0_offline) return;
  if (out.msg->expired(now)) return drop_entry(state, out);
  const auto dropped = enqueue(state, std::move(out), shared_.settings, this, now);
  for (const auto& m : dropped) drop_entry(state, m);
  if (!dropped.empty()) {
    spdlog::debug("queue of offline session {} full: message dropped ({} so far)",
                  state.client_id(), state.dropped_messages);
  }
}

void shard_core::inbound_qos2(session_state& state, std::uint16_t packet_id, bool awaiting) {
  if (!state.persisted) return;
  if (awaiting) {
    journal_.put_inbound(state.id, packet_id);
  } else {
    journal_.erase_inbound(state.id, packet_id);
  }
  // PUBREC (or PUBCOMP) waits: a crash must neither route the message again nor take a new
  // message with this identifier for a duplicate.
  hold_output(state);
}

void shard_core::outbound_progress(session_state& state, const inflight_message& m,
                                   time_point now) {
  if (!m.out.stored || !state.persisted) return;
  journal_.put_entry(state.id, m.out, now, m.packet_id, m.pubrec_received);
  // The PUBLISH (or PUBREL) goes out once its packet identifier (or PUBREC) is stored, so a
  // crash resends it with the identifier the client already knows [MQTT-4.3.3], [MQTT-4.4.0-1].
  hold_output(state);
}

void shard_core::outbound_done(session_state& state, const outbound_message& out) {
  drop_entry(state, out);
}

subscribe_result shard_core::subscribe(session_state& state, const codec::subscription& sub,
                                       std::optional<std::uint32_t> identifier) {
  const session_key key{static_cast<std::uint32_t>(index_), state.id};
  const auto plain_filter = codec::split_shared_filter(sub.filter).filter;
  if (const auto acl = acl_snapshot();
      acl && (!state.identity_known ||
              !acl->acl->check_subscribe(*state.identity, plain_filter).allowed)) {
    spdlog::info("client {}: subscription to '{}' refused by the ACL", state.client_id(),
                 sub.filter);
    return subscribe_result{codec::reason_code::not_authorized, false};
  }
  subscription_record record{sub.options, identifier};
  const bool existed = state.subscriptions.contains(sub.filter);
  state.subscriptions[sub.filter] = record;
  shared_.subscriptions.add(sub.filter, key, subscriber_of(state, sub.filter, record));
  if (state.persisted) {
    journal_.put_subscription(state.id, sub.filter, record);
    hold_output(state);  // SUBACK once stored
  }
  return subscribe_result{granted_reason(sub.options.max_qos), existed};
}

bool shard_core::unsubscribe(session_state& state, std::string_view filter) {
  auto it = state.subscriptions.find(filter);
  if (it == state.subscriptions.end()) return false;
  shared_.subscriptions.remove(filter, {static_cast<std::uint32_t>(index_), state.id});
  state.subscriptions.erase(it);
  if (state.persisted) {
    journal_.erase_subscription(state.id, filter);
    hold_output(state);
  }
  return true;
}

void shard_core::send_retained(session& s, const codec::subscription& sub,
                               std::optional<std::uint32_t> identifier, time_point now) {
  std::vector<message_ptr> matches;
  shared_.retained.match(sub.filter, now, matches);
  const auto acl = acl_snapshot();
  const auto* state = s.persistent();
  for (auto& msg : matches) {
    if (acl && (state == nullptr || !state->identity_known ||
                !acl->acl->allows(*state->identity, msg->topic, auth::access::read))) {
      continue;  // a retained message outside the subscriber's read permission
    }
    outbound_message out;
    out.qos_level = min_qos(msg->qos_level, sub.options.max_qos);
    out.retain = true;  // a retained message sent for a new subscription [MQTT-3.3.1-9]
    if (identifier) out.subscription_ids.push_back(*identifier);
    out.msg = std::move(msg);
    s.deliver(std::move(out), now);
  }
}

std::optional<std::size_t> shard_core::host_elsewhere(std::string_view client_id) {
  if (client_id.empty()) return std::nullopt;  // assigned here, so that it stays here
  const auto owner = owner_shard(client_id, shared_.shard_count);
  return owner == index_ ? std::nullopt : std::optional<std::size_t>(owner);
}

std::shared_ptr<const auth::access_snapshot> shard_core::acl_snapshot() const {
  if (shared_.access == nullptr) return nullptr;
  // Every publish asks: the shard keeps a copy until a reload installs another generation.
  const auto generation = shared_.access->generation();
  if (generation != acl_generation_) {
    auto snapshot = shared_.access->snapshot();
    acl_generation_ = generation;
    acl_cache_ = snapshot->acl ? std::move(snapshot) : nullptr;
  }
  return acl_cache_;
}

bool shard_core::may_publish(const session_state& state, std::string_view topic) {
  if (codec::is_sys_topic(topic)) {
    // $SYS/ belongs to the broker's own statistics; clients cannot write into it.
    spdlog::info("client {}: publish to '{}' refused: $SYS topics are the broker's",
                 state.client_id(), topic);
    return false;
  }
  const auto acl = acl_snapshot();
  if (!acl) return true;
  if (state.identity_known && acl->acl->allows(*state.identity, topic, auth::access::write))
    return true;
  spdlog::info("client {}: publish to '{}' refused by the ACL", state.client_id(), topic);
  return false;
}

subscriber shard_core::subscriber_of(const session_state& state, std::string_view filter,
                                     const subscription_record& record) const {
  subscriber sub{record.options, record.identifier, state.shared_presence(), {}, {}};
  if (const auto acl = acl_snapshot()) {
    sub.read = auth::make_read_grant(*acl, state.identity_known ? state.identity : nullptr,
                                     codec::split_shared_filter(filter).filter);
  }
  return sub;
}

}  // namespace tern::core
