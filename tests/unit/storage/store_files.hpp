#pragma once
// Finding and damaging the files of a RocksDB store, to play what a crash, a bad disk or an
// operator's mistake leaves behind.

#include <cstdint>
#include <filesystem>
#include <set>
#include <string_view>
#include <vector>

#include "storage/kv_backend.hpp"
#include "storage/snapshot.hpp"

namespace tern::storage::test {

namespace fs = std::filesystem;

// Regular files in `dir` whose name ends with `suffix` (".sst", ".log") or starts with `prefix`
// ("MANIFEST-"), sorted by name.
std::vector<fs::path> files_ending(const fs::path& dir, std::string_view suffix);
std::vector<fs::path> files_starting(const fs::path& dir, std::string_view prefix);

// Overwrites `count` bytes from `offset` with a pattern that is no valid RocksDB content.
void scribble(const fs::path& file, std::uintmax_t offset, std::uintmax_t count);
// Overwrites the whole file.
void scribble_all(const fs::path& file);
void append_garbage(const fs::path& file, std::uintmax_t count);
void cut_tail(const fs::path& file, std::uintmax_t count);

// Writes sessions first .. first + count - 1, one backend write each (so each is its own WAL
// record). Sessions own nothing, so load_snapshot keeps every one that is readable.
void write_sessions(kv_backend& backend, std::uint64_t first, std::uint64_t count);
// The session ids a snapshot holds.
std::set<std::uint64_t> session_ids(const snapshot& s);
std::set<std::uint64_t> id_range(std::uint64_t first, std::uint64_t count);

// Siblings of `store` named "<store>.damaged-*".
std::vector<fs::path> moved_aside(const fs::path& store);

}  // namespace tern::storage::test
