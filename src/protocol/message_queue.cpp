#include "protocol/message_queue.hpp"

#include <algorithm>

namespace tern::protocol {

std::size_t queued_cost(const outbound_message& m) noexcept {
  return m.msg->payload.size() + m.msg->topic.size();
}

std::vector<outbound_message> enqueue(session_state& state, outbound_message out,
                                      const session_settings& settings, broker_port* pager,
                                      time_point now) {
  const std::size_t size = queued_cost(out);
  const auto full = [&] {
    return state.queued_count() >= settings.max_queued_messages ||
           state.queued_bytes + state.paged().bytes + size > settings.max_queued_bytes;
  };
  std::vector<outbound_message> dropped;
  if (full()) {
    if (settings.queue_policy == queue_full_policy::drop_new || state.queue.empty()) {
      ++state.dropped_messages;
      dropped.push_back(std::move(out));
      return dropped;
    }
    while (!state.queue.empty() && full()) {
      dropped.push_back(dequeue(state));
      ++state.dropped_messages;
    }
    if (full()) {  // a single message larger than the byte limit
      ++state.dropped_messages;
      dropped.push_back(std::move(out));
      return dropped;
    }
  }
  const auto count_in_memory = [&] {
    state.queued_bytes += size;
    if (out.qos_level == codec::qos::at_most_once) ++state.queued_qos0;
  };
  // Shared-subscription messages stay in memory: a member that leaves hands them to another.
  const bool pageable = pager != nullptr && out.stored && out.shared_filter.empty();
  if (pageable && state.paged().count() > 0 && state.attached != nullptr) {
    count_in_memory();
    state.behind_paged.push_back(std::move(out));  // behind the paged ones: order is kept
    return dropped;
  }
  // An offline session's queue pages beyond max_queued_in_memory; behind paged messages only
  // paged ones may follow. An attached client's queue is about to drain: it stays in memory,
  // bounded by the session limits.
  const bool beyond_memory =
      state.paged().count() > 0 ||
      (state.attached == nullptr && state.queue.size() >= settings.max_queued_in_memory);
  if (pageable && beyond_memory && pager->page_out(state, out, now)) return dropped;
  count_in_memory();
  state.queue.push_back(std::move(out));
  return dropped;
}

void unpage_behind(session_state& state) {
  if (state.paged().count() > 0) return;
  for (auto& out : state.behind_paged) state.queue.push_back(std::move(out));
  state.behind_paged.clear();
}

std::vector<outbound_message> take_tail(session_state& state, std::size_t keep) {
  std::vector<outbound_message> tail;
  while (state.queue.size() > keep) {
    auto out = std::move(state.queue.back());
    state.queue.pop_back();
    state.queued_bytes -= queued_cost(out);
    if (out.qos_level == codec::qos::at_most_once) --state.queued_qos0;
    tail.push_back(std::move(out));
  }
  std::reverse(tail.begin(), tail.end());
  return tail;
}

std::vector<outbound_message> take_behind_paged(session_state& state) {
  std::vector<outbound_message> taken;
  for (auto& out : state.behind_paged) {
    state.queued_bytes -= queued_cost(out);
    if (out.qos_level == codec::qos::at_most_once) --state.queued_qos0;
    taken.push_back(std::move(out));
  }
  state.behind_paged.clear();
  return taken;
}

void append_loaded(session_state& state, outbound_message out) {
  state.queued_bytes += queued_cost(out);
  state.queue.push_back(std::move(out));
}

outbound_message dequeue(session_state& state) {
  outbound_message out = std::move(state.queue.front());
  state.queue.pop_front();
  state.queued_bytes -= queued_cost(out);
  if (out.qos_level == codec::qos::at_most_once) --state.queued_qos0;
  return out;
}

}  // namespace tern::protocol
