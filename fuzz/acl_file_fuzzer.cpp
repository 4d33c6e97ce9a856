// libFuzzer target: ACL files and the checks made against them. Input: the file text, then
// optionally a NUL and NUL-separated probe fields [client id, username, topic...]; an empty
// username field means an anonymous client. A seed without a NUL is a plain ACL file, probed with
// a few default identities and topics.
//
// Checked for a file that parses (parsing may throw nothing but load_error):
// - the same text parses to the same answers;
// - a topic holding '+' or '#' is never allowed, to read or to write;
// - a deny rule added for the client's own section denies that topic, and adding it never
//   allows anything that was refused;
// - "%c" / "%u" patterns do not apply when the client id / username holds '/', '+' or '#';
// - a subscription the ACL grants as a whole only covers readable topics, and a readable topic
//   can be subscribed to.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/acl_file.hpp"
#include "auth/topic_match.hpp"
#include "codec/topic_rules.hpp"

namespace {

using namespace tern;
using auth::access;
using auth::acl_file;
using auth::client_identity;

void require(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

std::optional<acl_file> parse(std::string_view text) {
  try {
    return acl_file::parse(text, "fuzz");
  } catch (const auth::load_error&) {
    return std::nullopt;  // the documented refusal; anything else escapes and is reported
  }
}

bool has_wildcard(std::string_view topic) {
  return topic.find_first_of("+#") != std::string_view::npos;
}

bool wildcard_free_value(std::string_view value) {
  return !value.empty() && value.find_first_of("/+#") == std::string_view::npos;
}

// Text that the parser reads back unchanged as the rest of a line (it trims blanks and '\r').
bool survives_as_line_rest(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  return !s.empty() && !blank(s.front()) && !blank(s.back()) &&
         s.find('\n') == std::string_view::npos;
}

bool valid_topic(std::string_view topic) {
  return codec::validate_topic_name(topic) == codec::topic_error::none &&
         codec::validate_topic_filter(topic) == codec::topic_error::none;
}

bool plain_filter(std::string_view filter) {
  return !filter.starts_with("$share/") &&
         codec::validate_topic_filter(filter) == codec::topic_error::none;
}

struct probe {
  client_identity who;
  std::vector<std::string_view> topics;
};

// The same answers from `a` and `b` for every topic of `p`.
void require_same_answers(const acl_file& a, const acl_file& b, const probe& p) {
  for (const auto topic : p.topics) {
    for (const auto wanted : {access::read, access::write}) {
      require(a.allows(p.who, topic, wanted) == b.allows(p.who, topic, wanted));
    }
    if (plain_filter(topic)) {
      const auto x = a.check_subscribe(p.who, topic);
      const auto y = b.check_subscribe(p.who, topic);
      require(x.allowed == y.allowed && x.whole_filter == y.whole_filter);
    }
  }
}

void check_answers(const acl_file& acl, const probe& p) {
  for (const auto topic : p.topics) {
    if (has_wildcard(topic)) {
      require(!acl.allows(p.who, topic, access::write));
      require(!acl.allows(p.who, topic, access::read));
    }
    if (valid_topic(topic) && plain_filter(topic) && acl.allows(p.who, topic, access::read)) {
      require(acl.check_subscribe(p.who, topic).allowed);
    }
    if (!plain_filter(topic)) continue;
    const auto decision = acl.check_subscribe(p.who, topic);
    require(decision.allowed || !decision.whole_filter);
    if (!decision.whole_filter) continue;
    for (const auto other : p.topics) {
      if (valid_topic(other) && auth::topic_matches(topic, other)) {
        require(acl.allows(p.who, other, access::read));
      }
    }
  }
}

// A deny rule for `topic` in the client's own section refuses it, and refuses nothing that the
// file without it allowed.
void check_deny(std::string_view text, const acl_file& acl, const probe& p,
                std::string_view topic) {
  if (!valid_topic(topic) || !survives_as_line_rest(topic)) return;
  std::string with_deny;
  if (p.who.username) {
    if (!survives_as_line_rest(*p.who.username)) return;
    with_deny = std::string(text) + "\nuser " + *p.who.username + "\ntopic deny " +
                std::string(topic) + "\n";
  } else {
    with_deny = "topic deny " + std::string(topic) + "\n" + std::string(text);
  }
  const auto denied = parse(with_deny);
  require(denied.has_value());
  require(!denied->allows(p.who, topic, access::read));
  require(!denied->allows(p.who, topic, access::write));
  for (const auto other : p.topics) {
    for (const auto wanted : {access::read, access::write}) {
      require(!denied->allows(p.who, other, wanted) || acl.allows(p.who, other, wanted));
    }
  }
}

// Client-id and username patterns added for a client whose id or name would change the shape of
// the topic change no answer.
void check_unusable_patterns(std::string_view text, const acl_file& acl, const probe& p) {
  std::string patterns;
  if (!wildcard_free_value(p.who.client_id)) patterns += "pattern readwrite %c\n";
  if (p.who.username && !wildcard_free_value(*p.who.username)) {
    patterns += "pattern readwrite %u\npattern readwrite a/%u/#\n";
  }
  if (!p.who.username) patterns += "pattern readwrite %u/#\n";
  if (patterns.empty()) return;
  const auto with_patterns = parse(std::string(text) + "\n" + patterns);
  require(with_patterns.has_value());
  require_same_answers(acl, *with_patterns, p);
}

std::vector<probe> probes_of(std::string_view fields_text, bool present) {
  if (!present) {
    return {
        {{"sensor-1", std::nullopt}, {"public/news", "sensor-1/state", "$SYS/broker", "a/+"}},
        {{"sensor/+", "alice"}, {"home/kitchen", "alice/inbox", "home/#", "sensor/+/state"}},
    };
  }
  const auto fields = split(fields_text, '\0');
  probe p;
  p.who.client_id = std::string(fields[0]);
  if (fields.size() > 1 && !fields[1].empty()) p.who.username = std::string(fields[1]);
  for (std::size_t i = 2; i < fields.size() && i < 8; ++i) p.topics.push_back(fields[i]);
  return {p};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const auto text = input.substr(0, nul);
  const auto acl = parse(text);
  if (!acl) return 0;
  const auto again = parse(text);
  require(again.has_value());

  const bool has_probes = nul != std::string_view::npos;
  for (const auto& p :
       probes_of(has_probes ? input.substr(nul + 1) : std::string_view{}, has_probes)) {
    require_same_answers(*acl, *again, p);
    check_answers(*acl, p);
    check_unusable_patterns(text, *acl, p);
    for (const auto topic : p.topics) check_deny(text, *acl, p, topic);
  }
  return 0;
}
