#include "auth/acl_file.hpp"

#include <fmt/format.h>

#include "auth/topic_match.hpp"
#include "codec/topic_rules.hpp"

namespace tern::auth {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The first word of `s` and what follows it (trimmed).
std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
  const auto end = s.find_first_of(" \t");
  if (end == std::string_view::npos) return {s, {}};
  return {s.substr(0, end), trim(s.substr(end))};
}

bool usable_in_topic(std::string_view value) {
  return !value.empty() && value.find_first_of("/+#") == std::string_view::npos;
}

// `pattern` with whole "%c" / "%u" levels replaced; empty when it cannot apply to `who`.
std::optional<std::string> substitute(std::string_view pattern, const client_identity& who) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const auto end = pattern.find('/', start);
    const auto level = pattern.substr(start, end == std::string_view::npos ? end : end - start);
    if (level == "%c") {
      if (!usable_in_topic(who.client_id)) return std::nullopt;
      out += who.client_id;
    } else if (level == "%u") {
      if (!who.username || !usable_in_topic(*who.username)) return std::nullopt;
      out += *who.username;
    } else {
      out += level;
    }
    if (end == std::string_view::npos) return out;
    out += '/';
    start = end + 1;
  }
}

}  // namespace

acl_file acl_file::parse(std::string_view text, std::string_view name) {
  acl_file file;
  std::vector<rule>* current = &file.anonymous_;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto end = text.find('\n');
    const auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto fail = [&](std::string_view why) {
      throw load_error(fmt::format("{}:{}: {}", name, line_no, why));
    };
    const auto [keyword, rest] = split_word(line);
    if (keyword == "user") {
      if (rest.empty()) fail("user without a name");
      current = &file.users_[std::string(rest)];
      continue;
    }
    if (keyword != "topic" && keyword != "pattern") {
      fail(fmt::format("unknown keyword '{}' (expected topic, pattern or user)", keyword));
    }
    rule r;
    auto [word, topic] = split_word(rest);
    if (!topic.empty() &&
        (word == "read" || word == "write" || word == "readwrite" || word == "deny")) {
      r.read = word == "read" || word == "readwrite";
      r.write = word == "write" || word == "readwrite";
      r.deny = word == "deny";
    } else {
      topic = rest;  // no access word: read and write, and the topic is the whole rest
      r.read = r.write = true;
    }
    if (topic.empty()) fail(fmt::format("{} without a topic", keyword));
    if (codec::validate_topic_filter(topic) != codec::topic_error::none) {
      fail(fmt::format("'{}' is not a valid topic filter", topic));
    }
    r.topic = std::string(topic);
    (keyword == "pattern" ? file.patterns_ : *current).push_back(std::move(r));
  }
  return file;
}

acl_file acl_file::load(const std::filesystem::path& path) {
  return parse(file_lines::read(path.string()), path.string());
}

template <typename F>
void acl_file::for_each_rule(const client_identity& who, F&& f) const {
  const std::vector<rule>* own = &anonymous_;
  if (who.username) {
    const auto it = users_.find(*who.username);
    own = it == users_.end() ? nullptr : &it->second;
  }
  if (own != nullptr) {
    for (const auto& r : *own) f(std::string_view(r.topic), r);
  }
  for (const auto& r : patterns_) {
    if (const auto topic = substitute(r.topic, who)) f(std::string_view(*topic), r);
  }
}

bool acl_file::allows(const client_identity& who, std::string_view topic, access wanted) const {
  // A topic name never holds wildcards [MQTT-3.3.2-2]; a filter passed here must not match a
  // grant level by level ("a/+" against "a/+") and be taken as one allowed topic.
  if (topic.find_first_of("+#") != std::string_view::npos) return false;
  bool denied = false;
  bool granted = false;
  for_each_rule(who, [&](std::string_view filter, const rule& r) {
    if (denied || !topic_matches(filter, topic)) return;
    if (r.deny) {
      denied = true;
    } else if (wanted == access::read ? r.read : r.write) {
      granted = true;
    }
  });
  return granted && !denied;
}

subscribe_decision acl_file::check_subscribe(const client_identity& who,
                                             std::string_view filter) const {
  bool denied = false;
  bool deny_overlaps = false;
  bool overlaps = false;
  bool within = false;
  for_each_rule(who, [&](std::string_view acl, const rule& r) {
    if (r.deny) {
      denied = denied || filter_within(filter, acl);
      deny_overlaps = deny_overlaps || filters_overlap(filter, acl);
    } else if (r.read) {
      overlaps = overlaps || filters_overlap(filter, acl);
      within = within || filter_within(filter, acl);
    }
  });
  if (denied || !overlaps) return {};
  return {true, within && !deny_overlaps};
}

}  // namespace tern::auth
