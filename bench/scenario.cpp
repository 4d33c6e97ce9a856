#include "scenario.hpp"

#include <fmt/format.h>

#include <charconv>
#include <utility>

namespace tern::bench {

scenario::scenario(scenario_kind kind, std::uint32_t n, std::string prefix)
    : kind_(kind),
      publishers_(kind == scenario_kind::fanout ? 1 : n),
      subscribers_(kind == scenario_kind::fanin ? 1 : n),
      prefix_(std::move(prefix)) {}

std::string scenario::topic_of(std::uint32_t publisher) const {
  return fmt::format("{}/{}", prefix_, publisher);
}

std::string scenario::filter_of(std::uint32_t subscriber) const {
  switch (kind_) {
    case scenario_kind::pairs:
      return topic_of(subscriber);
    case scenario_kind::fanin:
      return prefix_ + "/#";
    case scenario_kind::fanout:
      return topic_of(0);
  }
  return {};
}

index_range scenario::subscribers_of(std::uint32_t publisher) const noexcept {
  switch (kind_) {
    case scenario_kind::pairs:
      return {publisher, publisher + 1};
    case scenario_kind::fanin:
      return {0, 1};
    case scenario_kind::fanout:
      return {0, subscribers_};
  }
  return {};
}

index_range scenario::publishers_of(std::uint32_t subscriber) const noexcept {
  switch (kind_) {
    case scenario_kind::pairs:
      return {subscriber, subscriber + 1};
    case scenario_kind::fanin:
      return {0, publishers_};
    case scenario_kind::fanout:
      return {0, 1};
  }
  return {};
}

std::optional<std::uint32_t> scenario::publisher_of_topic(std::string_view topic) const noexcept {
  if (topic.size() <= prefix_.size() + 1 || !topic.starts_with(prefix_) ||
      topic[prefix_.size()] != '/') {
    return std::nullopt;
  }
  const std::string_view digits = topic.substr(prefix_.size() + 1);
  std::uint32_t index = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc{} || end != digits.data() + digits.size() || index >= publishers_) {
    return std::nullopt;
  }
  return index;
}

}  // namespace tern::bench
