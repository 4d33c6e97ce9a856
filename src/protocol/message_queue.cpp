#include "protocol/message_queue.hpp"

namespace tern::protocol {

namespace {
std::size_t cost(const outbound_message& m) {
  return m.msg->payload.size() + m.msg->topic.size();
}
}  // namespace

std::vector<outbound_message> enqueue(session_state& state, outbound_message out,
                                      const session_settings& settings) {
  const std::size_t size = cost(out);
  const auto full = [&] {
    return state.queue.size() >= settings.max_queued_messages ||
           state.queued_bytes + size > settings.max_queued_bytes;
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
  state.queued_bytes += size;
  if (out.qos_level == codec::qos::at_most_once) ++state.queued_qos0;
  state.queue.push_back(std::move(out));
  return dropped;
}

outbound_message dequeue(session_state& state) {
  outbound_message out = std::move(state.queue.front());
  state.queue.pop_front();
  state.queued_bytes -= cost(out);
  if (out.qos_level == codec::qos::at_most_once) --state.queued_qos0;
  return out;
}

}  // namespace tern::protocol
