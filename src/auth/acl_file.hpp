#pragma once
// An access control list in Mosquitto's `acl_file` format.
//
//   # comment
//   topic [read|write|readwrite|deny] <topic>     before any `user` line: anonymous clients
//   user <username>                               the following `topic` lines: that user
//   pattern [read|write|readwrite|deny] <topic>   anywhere: every client, with whole levels
//                                                 "%c" (client id) and "%u" (username) replaced
//
// The access word is optional (readwrite); with it, the topic is the rest of the line and may
// contain spaces. Topics may hold '+' and '#', matched as in subscriptions. For each check the
// rules that apply to the client are its own (user or anonymous) plus the patterns. Deny rules
// come first: a matching deny refuses whatever a grant says. Without a matching grant the answer
// is no: once an ACL file is set, what it does not allow is denied.
//
// A pattern whose %c or %u would be replaced by a value holding '/', '+' or '#' does not apply
// (the value would change the topic's shape), and %u patterns do not apply to anonymous clients.
//
// Thread: immutable once built; shared read-only by every shard.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/load_error.hpp"

namespace tern::auth {

// Who a client is, for ACL checks.
struct client_identity {
  std::string client_id;
  std::optional<std::string> username;  // none: anonymous
};

enum class access : std::uint8_t { read = 1, write = 2 };

// What a subscription may receive.
struct subscribe_decision {
  bool allowed = false;
  // Every topic of the filter is readable: deliveries need no check per topic.
  bool whole_filter = false;
};

class acl_file {
 public:
  // Throws load_error "<name>:<line>: <why>".
  static acl_file parse(std::string_view text, std::string_view name);
  static acl_file load(const std::filesystem::path& path);

  // May `who` publish to (write) or receive from (read) `topic`? Never for a "topic" holding
  // '+' or '#': that is a filter, not one topic.
  bool allows(const client_identity& who, std::string_view topic, access wanted) const;
  // May `who` subscribe to `filter` (a plain filter: no "$share/" prefix)? Allowed when a read
  // grant overlaps it and no deny covers it; deliveries are then checked per topic unless
  // `whole_filter` says the answer is always yes.
  subscribe_decision check_subscribe(const client_identity& who, std::string_view filter) const;

 private:
  struct rule {
    std::string topic;
    bool read = false;
    bool write = false;
    bool deny = false;
  };
  // Calls `f(topic, rule)` for every rule that applies to `who`, with patterns substituted.
  template <typename F>
  void for_each_rule(const client_identity& who, F&& f) const;

  std::vector<rule> anonymous_;
  std::unordered_map<std::string, std::vector<rule>> users_;
  std::vector<rule> patterns_;
};

}  // namespace tern::auth
