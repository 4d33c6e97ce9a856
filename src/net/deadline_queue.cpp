#include "net/deadline_queue.hpp"

namespace tern::net {

deadline_queue::deadline_queue(boost::asio::io_context& context, due_function due)
    : due_(due), timer_(context) {}

deadline_queue::~deadline_queue() {
  entries_.clear();  // unlinks entries that outlive the queue, so they do not touch it later
}

void deadline_queue::arm(deadline_entry& entry, protocol::time_point at) {
  if (entry.is_linked()) entries_.erase(entries_.iterator_to(entry));
  entry.at_ = at;
  entries_.insert(entry);
  schedule();
}

void deadline_queue::disarm(deadline_entry& entry) {
  if (!entry.is_linked()) return;
  entries_.erase(entries_.iterator_to(entry));
  if (entries_.empty()) schedule();
}

void deadline_queue::schedule() {
  if (entries_.empty()) {
    if (timer_at_) {
      timer_.cancel();
      timer_at_.reset();
    }
    return;
  }
  const auto earliest = entries_.begin()->at_;
  if (timer_at_ && *timer_at_ <= earliest) return;  // fires early and schedules again then
  timer_.expires_at(earliest);                      // cancels the wait for a later time, if any
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // replaced by an earlier wait, or cancelled
    timer_at_.reset();
    on_timer();
  });
  timer_at_ = earliest;  // only once the wait exists: a failed one must not stop later arming
}

void deadline_queue::on_timer() {
  const auto now = protocol::clock::now();
  // Each callback may arm, disarm or destroy entries, itself included: take one at a time.
  while (!entries_.empty() && entries_.begin()->at_ <= now) {
    auto& entry = *entries_.begin();
    entries_.erase(entries_.begin());
    due_(entry);
  }
  schedule();
}

}  // namespace tern::net
