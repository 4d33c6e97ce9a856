#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>

namespace tern::storage::test {

namespace {

std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "no-test";
  std::string name = std::string(info->test_suite_name()) + "-" + info->name();
  for (auto& c : name) {
    if (c == '/') c = '_';
  }
  return name;
}

}  // namespace

temp_dir::temp_dir() {
  static std::atomic<unsigned> counter{0};
  const auto unique = std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                      std::to_string(std::random_device{}());
  path_ = std::filesystem::temp_directory_path() / ("tern-storage-" + test_name() + "-" + unique);
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tern::storage::test
