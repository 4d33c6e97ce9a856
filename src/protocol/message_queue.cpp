#include "protocol/message_queue.hpp"

namespace tern::protocol {

std::size_t queued_cost(const outbound_message& m) noexcept {
  return m.msg->payload.size() + m.msg->topic.size();
}

std::vector<outbound_message> enqueue(session_state& state, outbound_message out,
                                      const session_settings& settings, broker_port* pager,
                                      time_point now) {
  const std::size_t size = queued_cost(out);
  const auto full = [&] {
    return state.queue.size() + state.paged.count() >= settings.max_queued_messages ||
           state.queued_bytes + state.paged.bytes + size > settings.max_queued_bytes;
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
  // Behind paged messages only paged ones may follow: order is kept.
  // Shared-subscription messages stay in memory: a member that leaves hands them to another.
  const bool beyond_memory =
      state.paged.count() > 0 || state.queue.size() >= settings.max_queued_in_memory;
  if (pager != nullptr && out.stored && out.shared_filter.empty() && beyond_memory &&
      pager->page_out(state, out, now)) {
    return dropped;
  }
  state.queued_bytes += size;
  if (out.qos_level == codec::qos::at_most_once) ++state.queued_qos0;
  state.queue.push_back(std::move(out));
  return dropped;
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
