#include "auth/password_file_edit.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tern::auth {

std::string edit_password_text(std::string_view text, std::string_view username,
                               std::string_view entry, bool& found) {
  found = false;
  std::string out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const auto colon = line.find(':');
    if (!line.starts_with('#') && colon != std::string_view::npos &&
        line.substr(0, colon) == username) {
      found = true;
      if (!entry.empty()) fmt::format_to(std::back_inserter(out), "{}\n", entry);
      continue;
    }
    fmt::format_to(std::back_inserter(out), "{}\n", line);
  }
  if (!found && !entry.empty()) fmt::format_to(std::back_inserter(out), "{}\n", entry);
  return out;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const auto temp = path.string() + ".tmp";
  const auto fail = [&](std::string_view what) {
    throw std::runtime_error(fmt::format("{}: {}: {}", what, temp, std::strerror(errno)));
  };
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create");
  ::fchmod(fd, 0600);  // O_CREAT's mode does not apply to a leftover temp file
  std::size_t written = 0;
  while (written < contents.size()) {
    const auto n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      ::unlink(temp.c_str());
      fail("cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    fail("cannot flush");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    fail("cannot rename over the file");
  }
}

}  // namespace tern::auth
