#include "net/deadline_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace tern::net {
namespace {

using namespace std::chrono_literals;

// Records the order in which entries fire; an entry may act on the queue from its callback.
struct probe final : deadline_entry {
  probe(std::vector<int>& log, int id) : fired(log), name(id) {}
  static void due(deadline_entry& entry) { static_cast<probe&>(entry).on_deadline(); }
  void on_deadline() {
    fired.push_back(name);
    if (then) then();
  }
  std::vector<int>& fired;
  int name;
  std::function<void()> then;
};

class deadline_queue_test : public ::testing::Test {
 protected:
  boost::asio::io_context context;
  deadline_queue queue{context, &probe::due};
  std::vector<int> fired;
  protocol::time_point now = protocol::clock::now();
};

TEST_F(deadline_queue_test, fires_in_deadline_order_and_lets_the_loop_end) {
  probe a(fired, 1), b(fired, 2), c(fired, 3);
  queue.arm(b, now + 20ms);
  queue.arm(a, now + 10ms);
  queue.arm(c, now + 30ms);
  EXPECT_TRUE(a.armed());
  context.run();  // returns only once nothing is armed: the queue holds no wait of its own
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(queue.size(), 0u);
}

TEST_F(deadline_queue_test, rearming_replaces_the_earlier_time) {
  probe a(fired, 1), b(fired, 2);
  queue.arm(a, now + 5ms);
  queue.arm(b, now + 15ms);
  queue.arm(a, now + 30ms);  // later than b now
  EXPECT_EQ(a.armed_for(), now + 30ms);
  EXPECT_EQ(queue.size(), 2u);
  context.run();
  EXPECT_EQ(fired, (std::vector<int>{2, 1}));
}

TEST_F(deadline_queue_test, an_earlier_entry_moves_the_timer_forward) {
  probe late(fired, 1), early(fired, 2);
  queue.arm(late, now + 10s);
  queue.arm(early, now + 5ms);
  early.then = [&] { queue.disarm(late); };
  const auto start = std::chrono::steady_clock::now();
  context.run();
  EXPECT_EQ(fired, (std::vector<int>{2}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // did not wait for the 10 s entry
}

TEST_F(deadline_queue_test, disarmed_and_destroyed_entries_never_fire) {
  probe kept(fired, 1), disarmed(fired, 2);
  auto destroyed = std::make_unique<probe>(fired, 3);
  queue.arm(kept, now + 10ms);
  queue.arm(disarmed, now + 5ms);
  queue.arm(*destroyed, now + 1ms);
  queue.disarm(disarmed);
  destroyed.reset();
  EXPECT_EQ(queue.size(), 1u);
  context.run();
  EXPECT_EQ(fired, (std::vector<int>{1}));
}

TEST_F(deadline_queue_test, a_callback_may_arm_itself_again_and_destroy_another) {
  probe repeating(fired, 1);
  auto victim = std::make_unique<probe>(fired, 2);
  int rounds = 0;
  repeating.then = [&] {
    victim.reset();  // due at the same moment; must not fire after its destruction
    if (++rounds < 3) queue.arm(repeating, protocol::clock::now() + 1ms);
  };
  queue.arm(repeating, now + 1ms);
  queue.arm(*victim, now + 1ms);
  context.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 1, 1}));
}

TEST_F(deadline_queue_test, entries_outliving_the_queue_are_left_unlinked) {
  probe survivor(fired, 1);
  {
    boost::asio::io_context other;
    deadline_queue short_lived(other, &probe::due);
    short_lived.arm(survivor, now + 1h);
  }
  EXPECT_FALSE(survivor.armed());  // its destructor must not touch the freed queue
}

}  // namespace
}  // namespace tern::net
