#pragma once
// The topology of a run: which publishers and subscribers exist, their topics, and who hears whom.
// Publisher i always publishes on "<prefix>/<i>". Every publisher's subscribers, and every
// subscriber's publishers, form a contiguous index range.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
  scenario(scenario_kind kind, std::uint32_t n, std::string prefix);

  scenario_kind kind() const noexcept { return kind_; }
  std::uint32_t publishers() const noexcept { return publishers_; }
  std::uint32_t subscribers() const noexcept { return subscribers_; }

  std::string topic_of(std::uint32_t publisher) const;
  std::string filter_of(std::uint32_t subscriber) const;
  index_range subscribers_of(std::uint32_t publisher) const noexcept;
  index_range publishers_of(std::uint32_t subscriber) const noexcept;
  // The publisher index encoded in a topic name, if it is one of ours.
  std::optional<std::uint32_t> publisher_of_topic(std::string_view topic) const noexcept;

 private:
  scenario_kind kind_;
  std::uint32_t publishers_;
  std::uint32_t subscribers_;
  std::string prefix_;
};

}  // namespace tern::bench
