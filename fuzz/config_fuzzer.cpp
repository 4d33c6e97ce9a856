// libFuzzer target: the TOML configuration loader on arbitrary text. Every input either loads
// or is refused with a config_error naming the place; any other exception, crash or leak is a
// bug. A loaded configuration must hold values inside the documented ranges.

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tern::app::config config;
  try {
    tern::app::load_config_text(text, "fuzz.toml", config);
  } catch (const tern::app::config_error&) {
    return 0;
  } catch (...) {
    std::abort();  // only config_error may leave the loader
  }
  const auto& s = config.session;
  if (s.max_packet_size < 64 || s.connect_timeout.count() <= 0 || s.max_topic_length == 0 ||
      s.max_topic_levels == 0 || config.shards > 256 || config.connection_burst < 1) {
    std::abort();
  }
  return 0;
}
