#pragma once
// Tern's log: one logger for the whole process, to stderr (default) or to a file, as text lines
// or as JSON lines. A log file is reopened on request (SIGUSR1) so that logrotate can move it.

#include <memory>
#include <string>

namespace tern::app {

enum class log_format : unsigned char { text, json };

struct log_settings {
  std::string level = "info";
  log_format format = log_format::text;
  std::string file;  // empty: stderr
};

class log_file_sink;

// Installs the default logger. Throws std::runtime_error if the file cannot be opened.
class process_log {
 public:
  explicit process_log(const log_settings& settings);
  // Closes and opens the log file again by name (after logrotate renamed it); no-op for stderr.
  void reopen();
  // A configuration reload: any thread may be logging meanwhile (the level is an atomic, and
  // each sink swaps its formatter under its own lock). The destination cannot change so.
  static void set_level(const std::string& level);
  static void set_format(log_format format);

 private:
  std::shared_ptr<log_file_sink> file_;
};

// One JSON object per line: {"time":"...","level":"info","message":"..."}; the message escaped
// as RFC 8259 requires. Exposed for tests.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view message);

}  // namespace tern::app
