#include "net/admission.hpp"

#include <algorithm>
#include <stdexcept>

namespace tern::net {

using protocol::limit_event;

admission::admission(const admission_settings& settings, std::size_t descriptors)
    : settings_(settings),
      rate_(settings.connection_rate, settings.connection_burst),
      listeners_(std::make_unique<listener_slot[]>(k_max_listeners)),
      descriptors_(descriptors),
      records_(std::make_unique<std::atomic<std::uint32_t>[]>(descriptors)) {}

std::size_t admission::add_listener(std::size_t max_connections, bool rate_limited) {
  // A removed listener's slot is free once nothing counts in it: a connection drops its record
  // before its count, so no record names the slot any more.
  std::size_t index = 0;
  while (index < slots_used_ && (listeners_[index].in_use ||
                                 listeners_[index].open.load(std::memory_order_acquire) != 0)) {
    ++index;
  }
  if (index == k_max_listeners) throw std::length_error("too many listeners");
  if (index == slots_used_) ++slots_used_;
  auto& slot = listeners_[index];
  slot.in_use = true;
  slot.max = max_connections;
  slot.rate_limited = rate_limited;
  slot.accepted.store(0, std::memory_order_relaxed);
  return index;
}

void admission::update_listener(std::size_t listener, std::size_t max_connections,
                                bool rate_limited) {
  listeners_[listener].max = max_connections;
  listeners_[listener].rate_limited = rate_limited;
}

void admission::remove_listener(std::size_t listener) {
  listeners_[listener].in_use = false;
}

void admission::update(const admission_settings& settings) {
  settings_ = settings;
  rate_.set_rate(settings.connection_rate, settings.connection_burst);
}

std::size_t admission::refusal_margin(std::size_t limit) noexcept {
  return std::max<std::size_t>(16, limit / 16);
}

admission::verdict admission::on_accept(std::size_t listener, const boost::asio::ip::address& peer,
                                        int fd, std::chrono::steady_clock::time_point now) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= descriptors_) {
    return {decision::close, limit_event::connection_closed_at_accept};
  }
  auto& slot = listeners_[listener];
  if (slot.rate_limited && !rate_.allow(peer, now)) {
    return {decision::close, limit_event::connection_rate};
  }
  // Only this thread increments, so the checks below see exact values for the limits.
  const std::size_t open = open_.load(std::memory_order_relaxed);
  const std::size_t on_listener = slot.open.load(std::memory_order_relaxed);
  verdict v;
  if (settings_.max_connections != 0 && open >= settings_.max_connections) {
    v = {decision::refuse, limit_event::connection_limit};
    if (open >= settings_.max_connections + refusal_margin(settings_.max_connections)) {
      v.what = decision::close;
    }
  } else if (slot.max != 0 && on_listener >= slot.max) {
    v = {decision::refuse, limit_event::listener_connection_limit};
    if (on_listener >= slot.max + refusal_margin(slot.max)) v.what = decision::close;
  }
  if (v.what == decision::close) return {decision::close, v.why};
  open_.fetch_add(1, std::memory_order_relaxed);
  slot.open.fetch_add(1, std::memory_order_relaxed);
  slot.accepted.fetch_add(1, std::memory_order_relaxed);
  const auto record =
      static_cast<std::uint32_t>(listener + 1) | (v.what == decision::refuse ? k_refused_bit : 0u);
  records_[static_cast<std::size_t>(fd)].store(record, std::memory_order_release);
  return v;
}

bool admission::refused(int fd) const noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= descriptors_) return false;
  return (records_[static_cast<std::size_t>(fd)].load(std::memory_order_acquire) & k_refused_bit) !=
         0;
}

void admission::on_close(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= descriptors_) return;
  const auto record = records_[static_cast<std::size_t>(fd)].exchange(0, std::memory_order_acq_rel);
  if (record == 0) return;
  const auto listener = (record & ~k_refused_bit) - 1;
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (listener < k_max_listeners) {
    listeners_[listener].open.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace tern::net
