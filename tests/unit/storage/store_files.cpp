#include "store_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace tern::storage::test {

namespace {

std::vector<fs::path> files_where(const fs::path& dir, auto matches) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && matches(entry.path().filename().string())) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string garbage(std::uintmax_t count) {
  std::string out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uintmax_t i = 0; i < count; ++i) out.push_back(static_cast<char>(0xA5 ^ (i * 31)));
  return out;
}

}  // namespace

std::vector<fs::path> files_ending(const fs::path& dir, std::string_view suffix) {
  return files_where(dir, [&](const std::string& name) { return name.ends_with(suffix); });
}

std::vector<fs::path> files_starting(const fs::path& dir, std::string_view prefix) {
  return files_where(dir, [&](const std::string& name) { return name.starts_with(prefix); });
}

void scribble(const fs::path& file, std::uintmax_t offset, std::uintmax_t count) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << file;
  f.seekp(static_cast<std::streamoff>(offset));
  const auto g = garbage(count);
  f.write(g.data(), static_cast<std::streamsize>(g.size()));
  ASSERT_TRUE(f) << file;
}

void scribble_all(const fs::path& file) {
  scribble(file, 0, fs::file_size(file));
}

void append_garbage(const fs::path& file, std::uintmax_t count) {
  std::ofstream f(file, std::ios::app | std::ios::binary);
  ASSERT_TRUE(f) << file;
  const auto g = garbage(count);
  f.write(g.data(), static_cast<std::streamsize>(g.size()));
  ASSERT_TRUE(f) << file;
}

void cut_tail(const fs::path& file, std::uintmax_t count) {
  const auto size = fs::file_size(file);
  ASSERT_GE(size, count) << file;
  fs::resize_file(file, size - count);
}

void write_sessions(kv_backend& backend, std::uint64_t first, std::uint64_t count) {
  for (auto id = first; id < first + count; ++id) {
    session_record r;
    r.session_id = id;
    r.client_id = "client-" + std::to_string(id);
    r.expiry_interval = 3600;
    write_batch batch;
    batch.put(keys::of_session(id), encode(r));
    ASSERT_TRUE(backend.write(batch, durability::fsync).ok);
  }
}

std::set<std::uint64_t> session_ids(const snapshot& s) {
  std::set<std::uint64_t> out;
  for (const auto& r : s.sessions) {
    EXPECT_EQ(r.client_id, "client-" + std::to_string(r.session_id));
    out.insert(r.session_id);
  }
  return out;
}

std::set<std::uint64_t> id_range(std::uint64_t first, std::uint64_t count) {
  std::set<std::uint64_t> out;
  for (auto id = first; id < first + count; ++id) out.insert(id);
  return out;
}

std::vector<fs::path> moved_aside(const fs::path& store) {
  const auto prefix = store.filename().string() + ".damaged-";
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(store.parent_path())) {
    if (entry.path().filename().string().starts_with(prefix)) out.push_back(entry.path());
  }
  return out;
}

}  // namespace tern::storage::test
