#pragma once
// Captures what the code under test logs through spdlog's default logger, for the duration of a
// scope.

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace tern::storage::test {

class log_capture {
 public:
  log_capture();
  ~log_capture();
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  // True when a captured line contains `text`.
  bool contains(std::string_view text) const;
  // Every captured line, for failure messages.
  std::string all() const;

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace tern::storage::test
