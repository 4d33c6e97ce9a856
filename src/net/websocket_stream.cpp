#include "net/websocket_stream.hpp"

namespace tern::net {

boost::asio::io_context& websocket_home_context() {
  static boost::asio::io_context home;  // default hint: used by every shard thread
  return home;
}

namespace {

// boost::system::error_category's destructor is not virtual; categories are never deleted
// through it (the one instance is a static).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class websocket_error_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tern.websocket"; }
  std::string message(int value) const override {
    switch (static_cast<websocket_errc>(value)) {
      case websocket_errc::text_frame:
        return "text WebSocket message (MQTT travels in binary messages) [MQTT-6.0.0-1]";
      case websocket_errc::upgrade_refused:
        return "WebSocket upgrade refused";
      case websocket_errc::request_too_large:
        return "WebSocket upgrade request too large";
    }
    return "unknown WebSocket error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& websocket_category() noexcept {
  static const websocket_error_category category;
  return category;
}

}  // namespace tern::net
