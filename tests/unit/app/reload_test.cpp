// The reload machinery: SIGHUP runs every registered callback; the file watcher calls back once
// for a change of any watched file (rewritten, replaced by rename, removed) and never for files
// left alone.

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>

#include "app/file_watcher.hpp"
#include "app/reload_signal.hpp"

namespace tern::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(reload_signal_test, sighup_runs_every_callback) {
  boost::asio::io_context control;
  reload_signal reload(control);
  int first = 0;
  int second = 0;
  reload.on_reload([&] { ++first; });
  reload.on_reload([&] { ++second; });
  reload.start();
  std::raise(SIGHUP);
  control.run_for(500ms);
  std::raise(SIGHUP);
  control.restart();
  control.run_for(500ms);
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 2);
  reload.stop();
  control.restart();
  control.run_for(50ms);
}

class file_watcher_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tern-watch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "a.pem") << "first";
    std::ofstream(dir_ / "b.pem") << "first";
    std::ofstream(dir_ / "other.pem") << "first";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the watcher for a few polls and returns how often it called back.
  int changes_after(const std::function<void()>& change) {
    boost::asio::io_context control;
    file_watcher watcher(control, 20ms);
    int calls = 0;
    watcher.watch({dir_ / "a.pem", dir_ / "b.pem"}, [&] { ++calls; });
    watcher.start();
    control.run_for(60ms);
    change();
    control.run_for(200ms);
    watcher.stop();
    return calls;
  }

  fs::path dir_;
};

TEST_F(file_watcher_test, rewritten_file_is_one_change) {
  EXPECT_EQ(changes_after([&] { std::ofstream(dir_ / "a.pem") << "second, longer"; }), 1);
}

TEST_F(file_watcher_test, file_replaced_by_rename_is_a_change) {
  EXPECT_EQ(changes_after([&] {
              std::ofstream(dir_ / "new.pem") << "first";  // same size, new inode
              fs::rename(dir_ / "new.pem", dir_ / "b.pem");
            }),
            1);
}

TEST_F(file_watcher_test, removed_file_is_a_change) {
  EXPECT_EQ(changes_after([&] { fs::remove(dir_ / "a.pem"); }), 1);
}

TEST_F(file_watcher_test, untouched_and_unwatched_files_are_not) {
  EXPECT_EQ(changes_after([] {}), 0);
  EXPECT_EQ(changes_after([&] { std::ofstream(dir_ / "other.pem") << "changed"; }), 0);
}

}  // namespace
}  // namespace tern::app
