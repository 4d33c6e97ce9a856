#include "codec/topic_rules.hpp"

#include "codec/utf8.hpp"

namespace tern::codec {

namespace {

constexpr std::string_view k_share_prefix = "$share/";

std::size_t count_levels(std::string_view topic) noexcept {
  std::size_t levels = 1;
  for (char c : topic) levels += (c == '/') ? 1 : 0;
  return levels;
}

topic_error check_common(std::string_view topic, const topic_limits& limits) noexcept {
  if (topic.empty()) return topic_error::empty;
  if (topic.size() > limits.max_length) return topic_error::too_long;
  if (!is_valid_mqtt_utf8(topic)) return topic_error::invalid_utf8;
  if (count_levels(topic) > limits.max_levels) return topic_error::too_many_levels;
  return topic_error::none;
}

topic_error check_filter_wildcards(std::string_view filter) noexcept {
  for (std::size_t i = 0; i < filter.size(); ++i) {
    const char c = filter[i];
    if (c != '+' && c != '#') continue;
    const bool starts_level = i == 0 || filter[i - 1] == '/';
    const bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
    if (!starts_level || !ends_level) return topic_error::misplaced_wildcard;
    if (c == '#' && i + 1 != filter.size()) return topic_error::misplaced_wildcard;
  }
  return topic_error::none;
}

}  // namespace

std::string_view to_string(topic_error error) noexcept {
  switch (error) {
    case topic_error::none:
      return "valid";
    case topic_error::empty:
      return "empty topic";
    case topic_error::too_long:
      return "topic too long";
    case topic_error::too_many_levels:
      return "too many topic levels";
    case topic_error::wildcard_in_name:
      return "wildcard in topic name";
    case topic_error::misplaced_wildcard:
      return "wildcard not alone in its level or '#' not last";
    case topic_error::invalid_utf8:
      return "topic is not valid UTF-8";
    case topic_error::invalid_share_name:
      return "invalid shared subscription";
  }
  return "unknown topic error";
}

bool has_wildcard(std::string_view filter) noexcept {
  // One pass over the bytes (find_first_of calls memchr on the set once per byte); runs for
  // every PUBLISH.
  for (const char c : filter) {
    if (c == '+' || c == '#') return true;
  }
  return false;
}

topic_error validate_topic_name(std::string_view name, const topic_limits& limits) noexcept {
  if (auto error = check_common(name, limits); error != topic_error::none) return error;
  if (has_wildcard(name)) return topic_error::wildcard_in_name;
  return topic_error::none;
}

shared_filter split_shared_filter(std::string_view filter) noexcept {
  if (!filter.starts_with(k_share_prefix)) return {{}, filter};
  const auto rest = filter.substr(k_share_prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, {}};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

topic_error validate_topic_filter(std::string_view filter, const topic_limits& limits) noexcept {
  if (auto error = check_common(filter, limits); error != topic_error::none) return error;
  if (filter.starts_with(k_share_prefix)) {
    const auto parts = split_shared_filter(filter);
    if (parts.share_name.empty() || has_wildcard(parts.share_name) || parts.filter.empty()) {
      return topic_error::invalid_share_name;
    }
    return check_filter_wildcards(parts.filter);
  }
  return check_filter_wildcards(filter);
}

}  // namespace tern::codec
