#include "log_capture.hpp"

namespace tern::storage::test {

log_capture::log_capture()
    : previous_(spdlog::default_logger()),
      sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1024)) {
  auto logger = std::make_shared<spdlog::logger>("capture", sink_);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

log_capture::~log_capture() {
  spdlog::set_default_logger(previous_);
}

bool log_capture::contains(std::string_view text) const {
  for (const auto& line : sink_->last_formatted()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string log_capture::all() const {
  std::string out;
  for (const auto& line : sink_->last_formatted()) out += line;
  return out;
}

}  // namespace tern::storage::test
