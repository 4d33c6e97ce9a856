#include "protocol/memory_ledger.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

namespace tern::protocol {
namespace {

// The ledger is process-wide; each test runs its changes on a fresh thread and measures the
// difference, so the batch of the test runner's own thread never interferes.
std::size_t used_after(const std::function<void()>& work) {
  std::thread t(work);
  t.join();
  return memory_ledger::used();
}

TEST(memory_ledger, small_changes_stay_local_until_a_batch_is_full) {
  const auto before = memory_ledger::used();
  const auto after = used_after([] { memory_ledger::add(100); });
  EXPECT_EQ(after, before);  // below k_batch: not published (and lost with the thread)
}

TEST(memory_ledger, accounted_bytes_publish_large_changes_and_give_them_back) {
  const auto before = memory_ledger::used();
  std::size_t during = 0;
  const auto after = used_after([&] {
    accounted_bytes bytes;
    bytes += 4 * memory_ledger::k_batch;
    during = memory_ledger::used();
    accounted_bytes moved(std::move(bytes));
    bytes = accounted_bytes{};
    moved -= memory_ledger::k_batch;
    EXPECT_EQ(static_cast<std::size_t>(moved), 3 * memory_ledger::k_batch);
  });  // `moved` gives its bytes back
  EXPECT_EQ(during, before + 4 * memory_ledger::k_batch);
  EXPECT_EQ(after, before);
}

TEST(memory_ledger, set_reports_the_difference) {
  const auto before = memory_ledger::used();
  std::size_t during = 0;
  used_after([&] {
    accounted_bytes bytes;
    bytes.set(2 * memory_ledger::k_batch);
    bytes.set(5 * memory_ledger::k_batch);
    during = memory_ledger::used();
    bytes.set(0);
  });
  EXPECT_EQ(during, before + 5 * memory_ledger::k_batch);
  EXPECT_EQ(memory_ledger::used(), before);
}

}  // namespace
}  // namespace tern::protocol
