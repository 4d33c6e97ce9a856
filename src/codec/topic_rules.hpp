#pragma once
// Topic Name and Topic Filter rules ([MQTT-4.7]). Shared subscriptions are
// "$share/<ShareName>/<filter>" ([MQTT-4.8.2]).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::codec {

struct topic_limits {
  std::size_t max_length = 65'535;  // bytes; the wire format cannot carry more
  std::size_t max_levels = 65'535;  // number of '/'-separated levels
};

enum class topic_error : std::uint8_t {
  none,
  empty,  // [MQTT-4.7.3-1]
  too_long,
  too_many_levels,
  wildcard_in_name,    // [MQTT-3.3.2-2]
  misplaced_wildcard,  // [MQTT-4.7.1-1], [MQTT-4.7.1-2]
  invalid_utf8,
  invalid_share_name,  // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
};

std::string_view to_string(topic_error error) noexcept;

// Checks a Topic Name as carried by PUBLISH (and a will topic).
topic_error validate_topic_name(std::string_view name, const topic_limits& limits = {}) noexcept;

// Checks a Topic Filter as carried by SUBSCRIBE/UNSUBSCRIBE, including "$share/" filters.
topic_error validate_topic_filter(std::string_view filter,
                                  const topic_limits& limits = {}) noexcept;

struct shared_filter {
  std::string_view share_name;  // empty when the filter is not shared
  std::string_view filter;      // the filter proper
};

// Splits "$share/name/filter" into its parts; a plain filter comes back unchanged.
// Call on a filter that validate_topic_filter accepted.
shared_filter split_shared_filter(std::string_view filter) noexcept;

bool has_wildcard(std::string_view filter) noexcept;

// Topics under "$SYS/" carry the broker's own statistics: clients may read, not write them.
constexpr bool is_sys_topic(std::string_view topic) noexcept {
  return topic.starts_with("$SYS/");
}

}  // namespace tern::codec
