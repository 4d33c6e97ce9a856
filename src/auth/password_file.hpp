#pragma once
// A password file in Mosquitto's `password_file` format: one "username:hash" per line, hashes as
// in password_hash.hpp. Blank lines and lines starting with '#' are skipped. A damaged line makes
// the whole file unusable (load_error names file and line): half a user list is worse than the
// previous one.
//
// Thread: immutable once built; shared read-only by every shard.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/load_error.hpp"
#include "auth/password_hash.hpp"

namespace tern::auth {

class password_file {
 public:
  // Throws load_error "<name>:<line>: <why>".
  static password_file parse(std::string_view text, std::string_view name);
  static password_file load(const std::filesystem::path& path);

  const password_hash* find(std::string_view username) const;
  // False for an unknown user too (a dummy hash is not computed: the login throttle, not the
  // timing, is what slows guessing).
  bool verify(std::string_view username, std::string_view password) const;
  std::size_t size() const noexcept { return users_.size(); }

 private:
  std::map<std::string, password_hash, std::less<>> users_;
};

}  // namespace tern::auth
