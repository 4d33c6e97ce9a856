// A store that is in use, or a data directory that cannot be one, stops the start: nothing is
// repaired or moved aside.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "storage/open_store.hpp"
#include "store_files.hpp"
#include "temp_dir.hpp"

namespace tern::storage::test {
namespace {

TEST(storage_open_store_lock, a_store_open_in_this_process_is_unavailable_and_untouched) {
  temp_dir tmp;
  const auto store = tmp / "store";
  auto first = open_store(store.string());
  write_sessions(*first.backend, 1, 5);

  EXPECT_THROW(open_store(store.string()), store_unavailable);
  EXPECT_TRUE(moved_aside(store).empty());
  EXPECT_FALSE(fs::exists(store / "lost"));
  write_sessions(*first.backend, 6, 1);  // the first owner goes on undisturbed

  first.backend.reset();
  const auto second = open_store(store.string());
  EXPECT_EQ(session_ids(second.contents), id_range(1, 6));
  EXPECT_TRUE(second.backend->moved_to().empty());
}

// Holds RocksDB's lock on `store` from a child process (as a second broker would) while `body`
// runs.
template <typename Body>
void while_locked_by_another_process(const fs::path& store, Body body) {
  int ready[2];
  int release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const auto lock_path = (store / "LOCK").string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls here: the same fcntl lock RocksDB takes.
    ::close(ready[0]);
    ::close(release[1]);  // or the read below would never see the parent close its end
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
    struct flock f {};
    f.l_type = F_WRLCK;
    f.l_whence = SEEK_SET;
    const char ok = (fd >= 0 && ::fcntl(fd, F_SETLK, &f) == 0) ? 'y' : 'n';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
    char ignored;
    while (::read(release[0], &ignored, 1) < 0) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  EXPECT_EQ(ok, 'y');
  body();
  ::close(release[1]);
  ::close(ready[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(storage_open_store_lock, a_store_locked_by_another_process_is_unavailable_and_untouched) {
  temp_dir tmp;
  const auto store = tmp / "store";
  {
    auto s = open_store(store.string());
    write_sessions(*s.backend, 1, 5);
  }
  while_locked_by_another_process(store, [&] {
    try {
      open_store(store.string());
      ADD_FAILURE() << "opened a locked store";
    } catch (const store_unavailable& e) {
      EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(moved_aside(store).empty());
    EXPECT_FALSE(fs::exists(store / "lost"));
  });
  const auto s = open_store(store.string());
  EXPECT_EQ(session_ids(s.contents), id_range(1, 5));
}

TEST(storage_open_store_lock, a_data_directory_that_is_a_file_is_unavailable_and_untouched) {
  temp_dir tmp;
  const auto store = tmp / "store";
  std::ofstream(store) << "not a directory";
  EXPECT_THROW(open_store(store.string()), store_unavailable);
  EXPECT_TRUE(fs::is_regular_file(store));
  EXPECT_TRUE(moved_aside(store).empty());
}

}  // namespace
}  // namespace tern::storage::test
