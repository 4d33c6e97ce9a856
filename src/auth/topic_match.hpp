#pragma once
// Topic filter relations used by ACLs, with MQTT's matching rules: '+' is one level, '#' the
// rest (zero levels included: "a/#" matches "a"), and a wildcard in the first level never
// matches a topic starting with '$' [MQTT-4.7.2-1].
//
// Thread: pure functions.

#include <string_view>

namespace tern::auth {

// `topic` (no wildcards) matches `filter`.
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;
// Every topic that matches `inner` also matches `outer`.
bool filter_within(std::string_view inner, std::string_view outer) noexcept;
// Some topic may match both filters (may answer true for a pair only '$' rules keep apart).
bool filters_overlap(std::string_view a, std::string_view b) noexcept;

}  // namespace tern::auth
