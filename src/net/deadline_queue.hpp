#pragma once
// The deadlines of a shard's connections (keep-alive, connect timeout, slow consumer, close
// linger) on one timer. An idle connection then costs an intrusive hook and a time, where its own
// timer would cost a timer object and a pending wait operation: about 300 bytes each.
//
// An entry is armed for one time at most; once that time has passed it is disarmed and handed to
// the queue's `due` function, which may arm it again. A destroyed entry leaves the queue by
// itself. Entries carry no virtual table: `due` knows their type (a shard's are connections).
//
// Thread: its shard's.

#include <boost/intrusive/set.hpp>
#include <optional>

#include "net/tcp_socket.hpp"
#include "protocol/message.hpp"

namespace tern::net {

class deadline_entry : public boost::intrusive::set_base_hook<
                           boost::intrusive::link_mode<boost::intrusive::auto_unlink>,
                           boost::intrusive::optimize_size<true>> {
 public:
  bool armed() const noexcept { return is_linked(); }
  // Meaningful while armed.
  protocol::time_point armed_for() const noexcept { return at_; }

 protected:
  deadline_entry() = default;
  ~deadline_entry() = default;
  deadline_entry(const deadline_entry&) = delete;
  deadline_entry& operator=(const deadline_entry&) = delete;

 private:
  friend class deadline_queue;
  protocol::time_point at_{};
};

class deadline_queue {
 public:
  using due_function = void (*)(deadline_entry&);
  deadline_queue(boost::asio::io_context& context, due_function due);
  ~deadline_queue();
  deadline_queue(const deadline_queue&) = delete;
  deadline_queue& operator=(const deadline_queue&) = delete;

  // Arms `entry` for `at`, replacing the time it was armed for.
  void arm(deadline_entry& entry, protocol::time_point at);
  void disarm(deadline_entry& entry);
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct earlier {
    bool operator()(const deadline_entry& a, const deadline_entry& b) const noexcept {
      return a.at_ < b.at_;
    }
  };
  using entry_set = boost::intrusive::multiset<deadline_entry, boost::intrusive::compare<earlier>,
                                               boost::intrusive::constant_time_size<false>>;

  // Sets the timer for the earliest entry; cancels it when there is none, so a stopping shard's
  // event loop is not kept alive by it.
  void schedule();
  void on_timer();

  due_function due_;
  shard_timer timer_;
  std::optional<protocol::time_point> timer_at_;  // when the pending wait completes
  entry_set entries_;
};

}  // namespace tern::net
