#include "scenario.hpp"

#include <fmt/format.h>

#include <charconv>

namespace tern::bench {

namespace {

std::uint32_t publishers_in(const bench_options& o) {
  switch (o.scenario) {
    case scenario_kind::fanout:
      return 1;
    case scenario_kind::manysubs:
      return o.publishers;
    default:
      return o.clients;
  }
}

std::uint32_t subscribers_in(const bench_options& o) {
  return o.scenario == scenario_kind::fanin ? 1 : o.clients;
}

}  // namespace

scenario::scenario(const bench_options& options)
    : kind_(options.scenario),
      publishers_(publishers_in(options)),
      subscribers_(subscribers_in(options)),
      subscriptions_(kind_ == scenario_kind::manysubs ? options.subscriptions : subscribers_),
      prefix_(options.topic_prefix) {}

std::string scenario::topic_of(std::uint32_t publisher) const {
  return fmt::format("{}/{}", prefix_, publisher);
}

std::vector<std::string> scenario::filters_of(std::uint32_t subscriber) const {
  switch (kind_) {
    case scenario_kind::pairs:
      return {topic_of(subscriber)};
    case scenario_kind::fanin:
      return {prefix_ + "/#"};
    case scenario_kind::fanout:
      return {topic_of(0)};
    case scenario_kind::manysubs: {
      std::vector<std::string> filters;
      const auto range = subscriptions_of(subscriber);
      filters.reserve(range.size());
      for (auto k = range.begin; k < range.end; ++k) filters.push_back(topic_of(k));
      return filters;
    }
    default:
      return {};
  }
}

std::uint32_t scenario::receivers_per_message(std::uint32_t publisher) const noexcept {
  return kind_ == scenario_kind::manysubs ? 1 : subscribers_of(publisher).size();
}

index_range scenario::subscribers_of(std::uint32_t publisher) const noexcept {
  switch (kind_) {
    case scenario_kind::pairs:
      return {publisher, publisher + 1};
    case scenario_kind::fanin:
      return {0, 1};
    default:
      return {0, subscribers_};
  }
}

index_range scenario::publishers_of(std::uint32_t subscriber) const noexcept {
  switch (kind_) {
    case scenario_kind::pairs:
      return {subscriber, subscriber + 1};
    case scenario_kind::fanout:
      return {0, 1};
    default:
      return {0, publishers_};
  }
}

// Subscriber s holds [ceil(s * S / N), ceil((s + 1) * S / N)): blocks differing by at most one.
index_range scenario::subscriptions_of(std::uint32_t subscriber) const noexcept {
  const auto first = [this](std::uint64_t s) {
    return static_cast<std::uint32_t>((s * subscriptions_ + subscribers_ - 1) / subscribers_);
  };
  return {first(subscriber), first(std::uint64_t{subscriber} + 1)};
}

std::uint32_t scenario::subscriber_of_subscription(std::uint32_t k) const noexcept {
  return static_cast<std::uint32_t>(std::uint64_t{k} * subscribers_ / subscriptions_);
}

std::uint32_t scenario::random_subscription(std::uint32_t publisher, std::mt19937_64& rng) const {
  // Publisher p owns p, p + P, p + 2P, ... below S.
  const std::uint32_t owned = (subscriptions_ - publisher + publishers_ - 1) / publishers_;
  std::uniform_int_distribution<std::uint32_t> pick(0, owned - 1);
  return publisher + pick(rng) * publishers_;
}

std::optional<std::uint32_t> scenario::index_of_topic(std::string_view topic) const noexcept {
  if (topic.size() <= prefix_.size() + 1 || !topic.starts_with(prefix_) ||
      topic[prefix_.size()] != '/') {
    return std::nullopt;
  }
  const std::string_view digits = topic.substr(prefix_.size() + 1);
  std::uint32_t index = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  const std::uint32_t limit = kind_ == scenario_kind::manysubs ? subscriptions_ : publishers_;
  if (ec != std::errc{} || end != digits.data() + digits.size() || index >= limit) {
    return std::nullopt;
  }
  return index;
}

}  // namespace tern::bench
