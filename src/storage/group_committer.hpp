#pragma once
// The storage thread: group commit.
//
// Model. Shards hand in write batches, each with a completion. The thread takes everything
// handed in since its last write, applies it as one atomic write with one fsync (or one write to
// the kernel in `os` mode), then runs the completions in submission order. Under load one fsync
// covers the batches of many publishes, so throughput does not pay one disk flush per message.
// A record created and deleted within one group (a message its subscriber acknowledged while
// the previous fsync was running) is dropped from the write altogether, and a subscriber's
// in-order acknowledgements become one range erase (shrink_for_commit).
// Submission order is commit order: a shard that hands in its batch before telling another shard
// about a message knows the other shard's later changes to it land after it.
//
// When a write fails (disk full, I/O error) the same batch is retried, with back-off, until it
// succeeds; meanwhile healthy() is false so shards refuse new QoS 1/2 publishes, and completions
// wait: nothing that depends on the failed write is acknowledged.
//
// Thread: submit(), erase_later() and healthy() from any thread; the rest from the owner.

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/kv_backend.hpp"
#include "storage/write_batch.hpp"

namespace tern::storage {

// Upper bounds of the commit latency histogram, in microseconds (the last bucket is +Inf).
inline constexpr std::array<std::uint64_t, 10> k_commit_latency_bounds_us{
    100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 100'000, 1'000'000};

struct commit_stats {
  std::uint64_t commits = 0;  // backend writes
  std::uint64_t batches = 0;  // batches handed in
  std::uint64_t failures = 0;
  std::uint64_t cancelled = 0;      // changes dropped because a later one in the commit undid them
  std::uint64_t commit_micros = 0;  // time spent in backend writes
  // Successful commits by latency: [i] counts those up to k_commit_latency_bounds_us[i]
  // (not cumulative); the last entry counts the slower ones.
  std::array<std::uint64_t, k_commit_latency_bounds_us.size() + 1> latency_buckets{};
};

// Makes a group's batch cheaper to write without changing what it leaves in the store: drops
// records created and erased within it, and folds runs of erases of consecutive ids into range
// erases. Returns the number of changes cancelled.
std::size_t shrink_for_commit(write_batch& batch);

class group_committer {
 public:
  using completion = std::function<void()>;

  group_committer(kv_backend& backend, durability mode);
  ~group_committer();
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  // Queues `batch`; `done` runs on the storage thread once it is committed.
  void submit(write_batch&& batch, completion done);
  // Queues a deletion that nothing waits for (a message no longer referenced).
  void erase_later(bytes key);
  // False while writes fail.
  bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }
  // True when writes have been failing for at least `duration` (not a passing hiccup).
  bool failing_for(std::chrono::milliseconds duration) const noexcept;
  // Commits what is queued and ends the thread. Gives up on a failing disk after `patience`.
  void stop(std::chrono::milliseconds patience = std::chrono::seconds(1));
  commit_stats stats() const;

 private:
  void run();
  bool commit(write_batch& batch);

  kv_backend& backend_;
  durability mode_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  write_batch queued_;
  std::vector<completion> completions_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point give_up_at_;
  std::atomic<bool> healthy_{true};
  std::atomic<std::int64_t> failing_since_{0};  // steady-clock nanoseconds; 0 while healthy
  commit_stats stats_;
  std::thread thread_;
};

}  // namespace tern::storage
