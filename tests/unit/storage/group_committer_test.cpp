// group_committer over memory_backend: commit order, grouping, riding deletions, a full disk,
// and stopping.

#include "storage/group_committer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/memory_backend.hpp"

namespace tern::storage::test {
namespace {

using namespace std::chrono_literals;

write_batch put(bytes key, bytes value = "v") {
  write_batch b;
  b.put(std::move(key), std::move(value));
  return b;
}

bool has(memory_backend& m, const bytes& key) {
  return m.contents().contains(key);
}

template <typename Predicate>
bool eventually(Predicate p, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!p()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Holds the storage thread inside the completion of a first batch until released, so that
// everything submitted meanwhile queues up.
class gate {
 public:
  gate() = default;
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;
  ~gate() {
    if (!released_once_) release();  // never leave the storage thread stuck on a failed test
  }
  void submit_to(group_committer& c) {
    c.submit(put("gate"), [this] {
      entered_.set_value();
      released_.wait();
    });
    entered_future_.wait();
  }
  void release() {
    released_once_ = true;
    release_.set_value();
  }

 private:
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  bool released_once_ = false;
};

TEST(storage_group_committer, completions_run_in_submission_order_once_the_data_is_in) {
  memory_backend m;
  std::mutex mutex;
  std::vector<int> order;
  std::vector<int> missing;  // completions that ran before their data was in the backend
  {
    group_committer c(m, durability::fsync);
    for (int i = 0; i < 300; ++i) {
      const auto key = "k" + std::to_string(i);
      c.submit(put(key), [&, i, key] {
        std::lock_guard lock(mutex);
        if (!has(m, key)) missing.push_back(i);
        order.push_back(i);
      });
    }
    c.stop();
    EXPECT_TRUE(c.healthy());
    EXPECT_EQ(c.stats().batches, 300u);
    EXPECT_EQ(c.stats().failures, 0u);
    EXPECT_LE(c.stats().commits, 300u);
  }
  std::vector<int> expected(300);
  for (int i = 0; i < 300; ++i) expected[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(order, expected);
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(m.key_count(), 300u);
}

TEST(storage_group_committer, a_burst_from_many_threads_is_grouped_into_few_writes) {
  memory_backend m;
  group_committer c(m, durability::fsync);
  gate g;
  g.submit_to(c);

  constexpr int k_threads = 8;
  constexpr int k_per_thread = 50;
  std::mutex mutex;
  std::map<int, std::vector<int>> completed;  // thread -> its batches, in completion order
  std::atomic<int> before_data{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        const auto key = "t" + std::to_string(t) + "-" + std::to_string(i);
        c.submit(put(key), [&, t, i, key] {
          if (!has(m, key)) ++before_data;
          std::lock_guard lock(mutex);
          completed[t].push_back(i);
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto writes_while_held = m.writes();
  g.release();
  c.stop();

  const auto stats = c.stats();
  EXPECT_EQ(writes_while_held, 1u);  // only the gate's batch
  EXPECT_EQ(stats.batches, 1u + k_threads * k_per_thread);
  EXPECT_LT(stats.commits, stats.batches);
  EXPECT_EQ(stats.commits, 2u);  // the gate's, then all 400 queued behind it in one write
  EXPECT_EQ(stats.commits, m.writes());
  EXPECT_EQ(before_data, 0);
  EXPECT_EQ(m.key_count(), 1u + k_threads * k_per_thread);
  std::vector<int> in_order(k_per_thread);
  for (int i = 0; i < k_per_thread; ++i) in_order[static_cast<std::size_t>(i)] = i;
  ASSERT_EQ(completed.size(), static_cast<std::size_t>(k_threads));
  for (const auto& [t, done] : completed) EXPECT_EQ(done, in_order) << "thread " << t;
}

TEST(storage_group_committer, concurrent_submitters_without_a_gate_all_land_in_order) {
  memory_backend m;
  group_committer c(m, durability::os);
  constexpr int k_threads = 4;
  constexpr int k_per_thread = 500;
  std::vector<std::vector<int>> completed(k_threads);  // each written by the storage thread only
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        c.submit(put("t" + std::to_string(t) + "-" + std::to_string(i)),
                 [&, t, i] { completed[static_cast<std::size_t>(t)].push_back(i); });
      }
    });
  }
  for (auto& t : threads) t.join();
  c.stop();
  EXPECT_EQ(m.key_count(), static_cast<std::size_t>(k_threads * k_per_thread));
  EXPECT_EQ(c.stats().batches, static_cast<std::uint64_t>(k_threads * k_per_thread));
  EXPECT_LE(c.stats().commits, c.stats().batches);
  for (const auto& done : completed) {
    ASSERT_EQ(done.size(), static_cast<std::size_t>(k_per_thread));
    EXPECT_TRUE(std::is_sorted(done.begin(), done.end()));
  }
}

TEST(storage_group_committer, records_created_and_erased_while_a_commit_runs_are_never_written) {
  memory_backend m;
  group_committer c(m, durability::fsync);
  gate g;
  g.submit_to(c);
  write_batch created;
  created.put_new("q1-7", "entry");
  created.put_new("q1-8", "entry");
  c.submit(std::move(created), {});
  write_batch acknowledged;  // from another shard: its subscriber acknowledged 7
  acknowledged.erase("q1-7");
  std::promise<bool> done;
  c.submit(std::move(acknowledged), [&] { done.set_value(has(m, "q1-8")); });
  c.erase_later("q1-8");  // and then 8 too, before the commit
  g.release();
  auto committed = done.get_future();
  ASSERT_EQ(committed.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(committed.get());
  c.stop();
  EXPECT_EQ(c.stats().cancelled, 4u);
  EXPECT_EQ(m.key_count(), 1u);  // the gate's record only
}

TEST(storage_group_committer, erase_later_rides_along_with_the_next_commit) {
  memory_backend m;
  group_committer c(m, durability::fsync);
  std::promise<void> first;
  c.submit(put("old"), [&] { first.set_value(); });
  ASSERT_EQ(first.get_future().wait_for(5s), std::future_status::ready);
  std::this_thread::sleep_for(20ms);  // the storage thread is back waiting for work
  const auto writes = m.writes();

  c.erase_later("old");
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(has(m, "old"));  // nothing wakes the storage thread for it alone
  EXPECT_EQ(m.writes(), writes);

  std::promise<bool> second;
  c.submit(put("new"), [&] { second.set_value(has(m, "old")); });
  auto still_there = second.get_future();
  ASSERT_EQ(still_there.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(still_there.get());
  EXPECT_TRUE(has(m, "new"));
  EXPECT_EQ(m.writes(), writes + 1);  // one write carried both
}

TEST(storage_group_committer, erase_later_goes_into_the_same_write_as_the_batch_after_it) {
  memory_backend m;
  ASSERT_TRUE(m.write(put("old"), durability::fsync).ok);
  group_committer c(m, durability::fsync);
  gate g;
  g.submit_to(c);
  c.erase_later("old");
  std::promise<bool> done;
  c.submit(put("new"), [&] { done.set_value(has(m, "old")); });
  const auto writes = m.writes();
  g.release();
  auto old_still_there = done.get_future();
  ASSERT_EQ(old_still_there.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(old_still_there.get());
  EXPECT_EQ(m.writes(), writes + 1);
  EXPECT_EQ(m.contents(), (std::map<bytes, bytes>{{"gate", "v"}, {"new", "v"}}));
}

TEST(storage_group_committer, a_full_disk_holds_completions_until_the_same_batch_is_written) {
  memory_backend m;
  group_committer c(m, durability::fsync);
  m.set_full(true);
  std::mutex mutex;
  std::vector<int> order;
  std::promise<void> all_done;
  c.submit(put("first"), [&] {
    std::lock_guard lock(mutex);
    order.push_back(1);
  });
  ASSERT_TRUE(eventually([&] { return !c.healthy(); }));
  EXPECT_GE(c.stats().failures, 1u);
  EXPECT_EQ(c.stats().commits, 0u);
  // A batch handed in meanwhile waits behind the failing one.
  c.submit(put("second"), [&] {
    std::lock_guard lock(mutex);
    order.push_back(2);
    all_done.set_value();
  });
  std::this_thread::sleep_for(120ms);  // a few retries
  EXPECT_FALSE(c.healthy());
  EXPECT_TRUE(c.failing_for(50ms));
  EXPECT_FALSE(c.failing_for(1h));
  {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(order.empty());
  }
  EXPECT_TRUE(m.contents().empty());

  m.set_full(false);
  ASSERT_EQ(all_done.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(c.healthy());
  EXPECT_FALSE(c.failing_for(0ms));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_TRUE(has(m, "first"));
  EXPECT_TRUE(has(m, "second"));
  EXPECT_EQ(c.stats().commits, 2u);
  EXPECT_EQ(c.stats().batches, 2u);
}

TEST(storage_group_committer, stop_commits_everything_queued) {
  memory_backend m;
  write_batch existing;
  existing.put("doomed", "x");
  ASSERT_TRUE(m.write(existing, durability::fsync).ok);

  group_committer c(m, durability::fsync);
  gate g;
  g.submit_to(c);  // the storage thread is busy: what follows is still queued at stop()
  std::atomic<int> done{0};
  for (int i = 0; i < 20; ++i) c.submit(put("k" + std::to_string(i)), [&] { ++done; });
  c.erase_later("doomed");
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    g.release();
  });
  c.stop();
  releaser.join();
  EXPECT_EQ(done, 20);
  EXPECT_FALSE(has(m, "doomed"));
  EXPECT_EQ(m.key_count(), 21u);  // "gate" and k0..k19
  c.stop();                       // a second stop is harmless
}

TEST(storage_group_committer, stop_after_only_erase_later_still_writes_it) {
  memory_backend m;
  ASSERT_TRUE(m.write(put("doomed"), durability::fsync).ok);
  group_committer c(m, durability::fsync);
  c.erase_later("doomed");
  c.stop();
  EXPECT_FALSE(has(m, "doomed"));
}

TEST(storage_group_committer, stop_on_a_full_disk_gives_up_without_acknowledging) {
  memory_backend m;
  m.set_full(true);
  group_committer c(m, durability::fsync);
  std::atomic<bool> acknowledged{false};
  c.submit(put("k"), [&] { acknowledged = true; });
  ASSERT_TRUE(eventually([&] { return !c.healthy(); }));
  const auto start = std::chrono::steady_clock::now();
  c.stop(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_FALSE(acknowledged);
  EXPECT_FALSE(c.healthy());
  m.set_full(false);
  EXPECT_TRUE(m.contents().empty());
}

}  // namespace
}  // namespace tern::storage::test
