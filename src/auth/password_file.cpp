#include "auth/password_file.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace tern::auth {

std::string file_lines::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw load_error(fmt::format("{}: cannot read the file", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw load_error(fmt::format("{}: read error", path));
  return text.str();
}

password_file password_file::parse(std::string_view text, std::string_view name) {
  password_file file;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto fail = [&](std::string_view why) {
      throw load_error(fmt::format("{}:{}: {}", name, line_no, why));
    };
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) fail("expected username:hash");
    const auto user = line.substr(0, colon);
    if (user.empty()) fail("empty username");
    auto parsed = parse_password_hash(line.substr(colon + 1));
    if (auto* why = std::get_if<std::string>(&parsed)) {
      fail(fmt::format("user '{}': {}", user, *why));
    }
    if (!file.users_.emplace(std::string(user), std::get<password_hash>(std::move(parsed)))
             .second) {
      fail(fmt::format("user '{}' appears twice", user));
    }
  }
  return file;
}

password_file password_file::load(const std::filesystem::path& path) {
  return parse(file_lines::read(path.string()), path.string());
}

const password_hash* password_file::find(std::string_view username) const {
  const auto it = users_.find(username);
  return it == users_.end() ? nullptr : &it->second;
}

bool password_file::verify(std::string_view username, std::string_view password) const {
  const auto* hash = find(username);
  return hash != nullptr && verify_password(*hash, password);
}

}  // namespace tern::auth
