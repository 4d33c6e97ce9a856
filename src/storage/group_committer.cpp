#include "storage/group_committer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/records.hpp"

namespace tern::storage {

namespace {
constexpr auto k_first_retry = std::chrono::milliseconds(50);
constexpr auto k_max_retry = std::chrono::seconds(1);
}  // namespace

group_committer::group_committer(kv_backend& backend, durability mode)
    : backend_(backend), mode_(mode), thread_([this] { run(); }) {}

group_committer::~group_committer() {
  stop();
}

void group_committer::submit(write_batch&& batch, completion done) {
  {
    std::lock_guard lock(mutex_);
    queued_.append(std::move(batch));
    if (done) completions_.push_back(std::move(done));
  }
  wake_.notify_one();
}

void group_committer::erase_later(bytes key) {
  std::lock_guard lock(mutex_);
  queued_.erase(std::move(key));
  // No wake-up: it rides along with the next commit.
}

bool group_committer::failing_for(std::chrono::milliseconds duration) const noexcept {
  const auto since = failing_since_.load(std::memory_order_relaxed);
  if (since == 0) return false;
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return now - std::chrono::nanoseconds(since) >= duration;
}

void group_committer::stop(std::chrono::milliseconds patience) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      if (!thread_.joinable()) return;
    }
    stopping_ = true;
    give_up_at_ = std::chrono::steady_clock::now() + patience;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

commit_stats group_committer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t shrink_for_commit(write_batch& batch) {
  const auto cancelled = batch.cancel_short_lived();
  batch.coalesce_erase_runs(keys::ends_in_id);
  return cancelled;
}

void group_committer::run() {
  write_batch batch;
  std::vector<completion> done;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queued_.empty() || !completions_.empty(); });
      if (queued_.empty() && completions_.empty()) {
        if (stopping_) return;
        continue;
      }
      batch.append(std::move(queued_));
      done.swap(completions_);
      stats_.batches += done.size();
    }
    // Records created and deleted again while the previous commit was under way (a message
    // acknowledged by its subscriber before it reached the disk) need not be written at all.
    const auto cancelled = shrink_for_commit(batch);
    if (cancelled != 0) {
      std::lock_guard lock(mutex_);
      stats_.cancelled += cancelled;
    }
    if (!commit(batch)) return;  // stopping on a failing disk: nothing more can be kept
    batch.clear();
    for (auto& d : done) d();
    done.clear();
  }
}

bool group_committer::commit(write_batch& batch) {
  auto retry = k_first_retry;
  bool writable = true;
  while (true) {
    if (!writable) {
      // Wait, then try to make the store writable again; never write to a failed one.
      {
        std::unique_lock lock(mutex_);
        if (stopping_ && std::chrono::steady_clock::now() >= give_up_at_) {
          spdlog::error("stopping with {} unwritten change(s); none of them was acknowledged",
                        batch.size());
          return false;
        }
        wake_.wait_for(lock, retry);
      }
      retry = std::min<std::chrono::milliseconds>(retry * 2, k_max_retry);
      writable = backend_.recover();
      if (!writable) continue;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto status = backend_.write(batch, mode_);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    if (status.ok) {
      std::lock_guard lock(mutex_);
      ++stats_.commits;
      const auto us = static_cast<std::uint64_t>(micros.count());
      stats_.commit_micros += us;
      std::size_t bucket = 0;
      while (bucket < k_commit_latency_bounds_us.size() &&
             us > k_commit_latency_bounds_us[bucket]) {
        ++bucket;
      }
      ++stats_.latency_buckets[bucket];
      failing_since_.store(0, std::memory_order_relaxed);
      if (!healthy_.exchange(true)) {
        spdlog::warn("store writable again: acknowledging QoS 1/2 messages again");
      }
      return true;
    }
    {
      std::lock_guard lock(mutex_);
      ++stats_.failures;
    }
    if (healthy_.exchange(false)) {
      failing_since_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                           std::memory_order_relaxed);
      spdlog::error("store write failed{}: {}; QoS 1/2 messages are refused until it succeeds",
                    status.no_space ? " (disk full)" : "", status.message);
    }
    writable = false;
  }
}

}  // namespace tern::storage
