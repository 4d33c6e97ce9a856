#include "app/logging.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/details/file_helper.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace tern::app {

// A file sink that can be reopened by name: spdlog's own file sinks cannot.
class log_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit log_file_sink(const std::string& path) { file_.open(path, false); }
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

namespace {

constexpr const char* k_text_pattern = "%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v";

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += fmt::format("\\u{:04x}", u);
        } else {
          out += c;  // UTF-8 passes through; log arguments are valid UTF-8 or escaped upstream
        }
    }
  }
  out += '"';
}

// Formats every record as one JSON line.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    const auto time = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                                  fmt::gmtime(std::chrono::system_clock::to_time_t(msg.time)), ms);
    const auto level = spdlog::level::to_string_view(msg.level);
    const auto line = json_log_line(time, std::string_view(level.data(), level.size()),
                                    std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

}  // namespace

std::string json_log_line(std::string_view time, std::string_view level, std::string_view message) {
  std::string out = "{\"time\":";
  append_json_string(out, time);
  out += ",\"level\":";
  append_json_string(out, level);
  out += ",\"message\":";
  append_json_string(out, message);
  out += "}\n";
  return out;
}

process_log::process_log(const log_settings& settings) {
  spdlog::sink_ptr sink;
  if (settings.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  } else {
    file_ = std::make_shared<log_file_sink>(settings.file);
    sink = file_;
  }
  auto logger = std::make_shared<spdlog::logger>("tern", sink);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  set_format(settings.format);
  set_level(settings.level);
}

void process_log::set_level(const std::string& level) {
  spdlog::default_logger_raw()->set_level(spdlog::level::from_str(level));
}

void process_log::set_format(log_format format) {
  if (format == log_format::json) {
    spdlog::default_logger_raw()->set_formatter(std::make_unique<json_formatter>());
  } else {
    spdlog::default_logger_raw()->set_formatter(
        std::make_unique<spdlog::pattern_formatter>(k_text_pattern));
  }
}

void process_log::reopen() {
  if (!file_) return;
  file_->reopen();
  spdlog::info("log file reopened");
}

}  // namespace tern::app
