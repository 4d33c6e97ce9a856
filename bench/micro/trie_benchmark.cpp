// Subscription trie matching cost against the number of subscriptions and the topic depth.
// The claim under test: matching grows with topic depth and the number of matches, not with the
// number of subscriptions in the trie.

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "topic/subscription_trie.hpp"

namespace {

using trie = tern::topic::subscription_trie<std::uint64_t, int>;

// `count` subscriptions "site/<i%100>/device/<i>/<metric>" plus a few wildcard ones.
trie& populated(std::size_t count) {
  static std::map<std::size_t, std::unique_ptr<trie>> cache;
  auto& slot = cache[count];
  if (slot) return *slot;
  slot = std::make_unique<trie>();
  for (std::size_t i = 0; i < count; ++i) {
    const auto filter = "site/" + std::to_string(i % 100) + "/device/" + std::to_string(i) +
                        (i % 2 == 0 ? "/temperature" : "/humidity");
    slot->insert(filter, "", i, 0);
  }
  slot->insert("site/+/device/+/temperature", "", count + 1, 0);
  slot->insert("site/7/#", "", count + 2, 0);
  return *slot;
}

void match_by_subscription_count(benchmark::State& state) {
  auto& t = populated(static_cast<std::size_t>(state.range(0)));
  const std::string topic = "site/7/device/1007/humidity";
  std::size_t matches = 0;
  for (auto _ : state) {
    t.match(
        topic, [&](const trie::entry&) { ++matches; }, [](std::string_view, trie::share_group&) {});
  }
  benchmark::DoNotOptimize(matches);
  state.counters["subscriptions"] = static_cast<double>(t.size());
}
BENCHMARK(match_by_subscription_count)->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

void match_by_topic_depth(benchmark::State& state) {
  auto& t = populated(1'000'000);
  std::string topic = "site/7/device/1007/humidity";
  for (int64_t i = 5; i < state.range(0); ++i) topic += "/level" + std::to_string(i);
  std::size_t matches = 0;
  for (auto _ : state) {
    t.match(
        topic, [&](const trie::entry&) { ++matches; }, [](std::string_view, trie::share_group&) {});
  }
  benchmark::DoNotOptimize(matches);
  state.counters["depth"] = static_cast<double>(state.range(0));
}
BENCHMARK(match_by_topic_depth)->Arg(5)->Arg(10)->Arg(20);

}  // namespace

BENCHMARK_MAIN();
