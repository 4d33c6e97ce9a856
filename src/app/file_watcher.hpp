#pragma once
// Notices when files change on disk by polling their status (inode, size, modification time)
// every few seconds on the control thread. Polling rather than inotify: a handful of stat()
// calls every two seconds cost nothing, and it follows what inotify handles awkwardly — files
// replaced by rename, symbolic links swapped to a new target (certificate managers, mounted
// secrets), directories that appear later. A file that is written in several steps may be seen
// half-written; the callback then fails to use it, and the next step is another change that
// calls it again.
//
// Thread: the control context (main thread); callbacks run there.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace tern::app {

class file_watcher {
 public:
  explicit file_watcher(boost::asio::io_context& control,
                        std::chrono::milliseconds period = std::chrono::seconds(2));

  // Calls `on_change` once per poll in which any of `paths` was created, removed or changed.
  // The current state is the baseline: nothing fires for how the files are now. Returns the
  // entry's number for set_paths().
  std::size_t watch(std::vector<std::filesystem::path> paths, std::function<void()> on_change);
  // Watches other files for entry `entry` (a configuration reload named new ones), with their
  // current state as the baseline.
  void set_paths(std::size_t entry, std::vector<std::filesystem::path> paths);
  void start();
  void stop();

 private:
  // What stat() says about a path; equal stamps mean "unchanged".
  struct stamp {
    bool exists = false;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    bool operator==(const stamp&) const = default;
  };
  struct watch_entry {
    std::vector<std::filesystem::path> paths;
    std::vector<stamp> stamps;
    std::function<void()> on_change;
  };

  static stamp stamp_of(const std::filesystem::path& path);
  void arm();
  void poll();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::vector<watch_entry> entries_;
  bool running_ = false;
};

}  // namespace tern::app
