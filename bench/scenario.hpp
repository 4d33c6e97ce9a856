#pragma once
// The topology of a publish/subscribe run: which publishers and subscribers exist, their topics,
// and who hears whom. In pairs, fanin and fanout, publisher i always publishes on "<prefix>/<i>",
// and every publisher's subscribers, and every subscriber's publishers, form a contiguous index
// range. In manysubs, subscription k is the filter "<prefix>/<k>"; subscriber s holds a contiguous
// block of them, and publisher p publishes on the topics k with k % P == p, chosen at random per
// message, so that every message has exactly one receiver and its topic names its publisher.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"

namespace tern::bench {

struct index_range {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;  // one past the last
  std::uint32_t size() const noexcept { return end - begin; }
  bool contains(std::uint32_t i) const noexcept { return i >= begin && i < end; }
};

class scenario {
 public:
  explicit scenario(const bench_options& options);

  scenario_kind kind() const noexcept { return kind_; }
  std::uint32_t publishers() const noexcept { return publishers_; }
  std::uint32_t subscribers() const noexcept { return subscribers_; }
  // Whether a message's topic is chosen per message (manysubs) instead of fixed per publisher.
  bool random_topics() const noexcept { return kind_ == scenario_kind::manysubs; }

  std::string topic_of(std::uint32_t publisher) const;
  std::vector<std::string> filters_of(std::uint32_t subscriber) const;
  // How many subscribers receive each message of this publisher.
  std::uint32_t receivers_per_message(std::uint32_t publisher) const noexcept;
  index_range subscribers_of(std::uint32_t publisher) const noexcept;
  index_range publishers_of(std::uint32_t subscriber) const noexcept;
  // The topic index encoded in a topic name ("<prefix>/<index>"), if it is one of ours: the
  // publisher index, or in manysubs the subscription index.
  std::optional<std::uint32_t> index_of_topic(std::string_view topic) const noexcept;

  // manysubs: subscription (= topic) indexes.
  std::uint32_t subscriptions() const noexcept { return subscriptions_; }
  index_range subscriptions_of(std::uint32_t subscriber) const noexcept;
  std::uint32_t subscriber_of_subscription(std::uint32_t k) const noexcept;
  std::uint32_t publisher_of_subscription(std::uint32_t k) const noexcept {
    return k % publishers_;
  }
  std::uint32_t random_subscription(std::uint32_t publisher, std::mt19937_64& rng) const;

 private:
  scenario_kind kind_;
  std::uint32_t publishers_;
  std::uint32_t subscribers_;
  std::uint32_t subscriptions_;
  std::string prefix_;
};

}  // namespace tern::bench
