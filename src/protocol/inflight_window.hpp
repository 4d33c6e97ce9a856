#pragma once
// The QoS 1/2 messages sent to a client and not yet acknowledged, in send order.
//
// Their packet identifiers are also kept apart, two bytes each, in the same order: matching an
// acknowledgement or checking that a fresh identifier is free scans a few cache lines of
// identifiers, not the messages (over 100 bytes each). The check runs for every message sent,
// over the whole window.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/lazy_container.hpp"
#include "protocol/outbound_message.hpp"

namespace tern::protocol {

struct inflight_message {
  outbound_message out;
  // Fixed while the message is in the window (the window's index of identifiers mirrors it).
  std::uint16_t packet_id = 0;
  bool pubrec_received = false;  // QoS 2: PUBREL sent, waiting for PUBCOMP
  // False for a message to resend after reconnection that waits for room in the client's
  // (possibly smaller) Receive Maximum; it keeps its packet identifier.
  bool awaiting_resend = false;
};

class inflight_window {
  using container = lazy_deque<inflight_message>;

 public:
  using iterator = container::iterator;
  using const_iterator = container::const_iterator;

  std::size_t size() const noexcept { return messages_.size(); }
  bool empty() const noexcept { return messages_.empty(); }
  iterator begin() noexcept { return messages_.begin(); }
  iterator end() noexcept { return messages_.end(); }
  const_iterator begin() const noexcept { return messages_.begin(); }
  const_iterator end() const noexcept { return messages_.end(); }
  inflight_message& back() noexcept { return messages_.back(); }

  void push_back(inflight_message m) {
    ids_.push_back(m.packet_id);
    messages_.push_back(std::move(m));
  }

  iterator erase(iterator it) {
    ids_.erase(ids_.begin() + (it - messages_.begin()));
    return messages_.erase(it);
  }

  // Removes the messages for which pred(inflight_message&) is true, keeping the order: one pass
  // that moves the kept ones forward, then one erase of the tail.
  template <typename Pred>
  void erase_if(Pred pred) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
      if (pred(messages_[i])) continue;
      if (kept != i) {
        messages_[kept] = std::move(messages_[i]);
        ids_[kept] = ids_[i];
      }
      ++kept;
    }
    messages_.erase(messages_.begin() + static_cast<container::difference_type>(kept),
                    messages_.end());
    ids_.resize(kept);
  }

  bool contains(std::uint16_t packet_id) const noexcept {
    return find_id(packet_id, 0) != ids_.size();
  }

  // The oldest message with this identifier for which pred(const inflight_message&) holds, or
  // end(). Acknowledgements mostly come in send order, so the search usually stops early.
  template <typename Pred>
  iterator find(std::uint16_t packet_id, Pred pred) {
    for (auto i = find_id(packet_id, 0); i != ids_.size(); i = find_id(packet_id, i + 1)) {
      const auto it = messages_.begin() + static_cast<container::difference_type>(i);
      if (pred(*it)) return it;
    }
    return messages_.end();
  }

 private:
  // Index of the first identifier equal to packet_id at or after `from`, or ids_.size().
  std::size_t find_id(std::uint16_t packet_id, std::size_t from) const noexcept;

  container messages_;
  lazy_vector<std::uint16_t> ids_;  // ids_[i] == messages_[i].packet_id
};

}  // namespace tern::protocol
