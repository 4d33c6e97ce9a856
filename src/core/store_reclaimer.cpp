#include "core/store_reclaimer.hpp"

#include <spdlog/spdlog.h>

namespace tern::core {

namespace {
thread_local journal* bound_journal = nullptr;
}  // namespace

void store_reclaimer::bind_thread(journal* j) noexcept {
  bound_journal = j;
}

void store_reclaimer::reclaim(std::uint64_t store_id) noexcept {
  if (!enabled_.load(std::memory_order_relaxed)) return;
  try {
    if (paged_ != nullptr && !paged_->reclaimable(store_id)) return;
    if (bound_journal != nullptr) {
      bound_journal->erase_message(store_id);
    } else {
      committer_.erase_later(storage::keys::of_message(store_id));
    }
  } catch (const std::exception& e) {
    // The record stays until the next start-up removes it as unreferenced.
    spdlog::warn("cannot delete stored message {}: {}", store_id, e.what());
  }
}

}  // namespace tern::core
