#include "app/file_watcher.hpp"

#include <sys/stat.h>

namespace tern::app {

file_watcher::file_watcher(boost::asio::io_context& control, std::chrono::milliseconds period)
    : timer_(control), period_(period) {}

file_watcher::stamp file_watcher::stamp_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  constexpr std::int64_t k_ns = 1'000'000'000;
  return {true,
          static_cast<std::uint64_t>(st.st_dev),
          static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * k_ns + st.st_mtim.tv_nsec,
          static_cast<std::int64_t>(st.st_ctim.tv_sec) * k_ns + st.st_ctim.tv_nsec};
}

std::size_t file_watcher::watch(std::vector<std::filesystem::path> paths,
                                std::function<void()> on_change) {
  entries_.push_back({{}, {}, std::move(on_change)});
  set_paths(entries_.size() - 1, std::move(paths));
  return entries_.size() - 1;
}

void file_watcher::set_paths(std::size_t index, std::vector<std::filesystem::path> paths) {
  auto& entry = entries_[index];
  entry.paths = std::move(paths);
  entry.stamps.clear();
  for (const auto& p : entry.paths) entry.stamps.push_back(stamp_of(p));
}

void file_watcher::start() {
  if (running_ || entries_.empty()) return;
  running_ = true;
  arm();
}

void file_watcher::stop() {
  running_ = false;
  timer_.cancel();
}

void file_watcher::arm() {
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    poll();
    arm();
  });
}

void file_watcher::poll() {
  for (auto& entry : entries_) {
    bool changed = false;
    for (std::size_t i = 0; i < entry.paths.size(); ++i) {
      const auto now = stamp_of(entry.paths[i]);
      if (now != entry.stamps[i]) {
        entry.stamps[i] = now;
        changed = true;
      }
    }
    if (changed) entry.on_change();
  }
}

}  // namespace tern::app
