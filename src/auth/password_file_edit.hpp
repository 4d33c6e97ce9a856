#pragma once
// Changes to a password file on disk, for `tern passwd`: every other line (comments, other users,
// their hash formats) is kept as it was. The new file is written next to the old one with mode
// 0600, flushed, and renamed over it, so a reader (the broker reloading) sees the old file or the
// new one, never half of one.
//
// Thread: any; not safe against two editors of one file at once.

#include <filesystem>
#include <string>
#include <string_view>

namespace tern::auth {

// Lines of `text` with `username`'s entry replaced by `entry` (a full "user:hash" line), or
// appended when absent. An empty `entry` deletes the user. Sets `found` when the user was there.
std::string edit_password_text(std::string_view text, std::string_view username,
                               std::string_view entry, bool& found);

// Writes `contents` to `path` atomically with mode 0600. Throws std::runtime_error.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace tern::auth
