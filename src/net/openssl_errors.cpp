#include "net/openssl_errors.hpp"

#include <openssl/err.h>

namespace tern::net {

std::string take_openssl_errors(const std::string& fallback) {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    if (reason != nullptr) {
      out += reason;
    } else {
      char buffer[256];
      ERR_error_string_n(code, buffer, sizeof buffer);
      out += buffer;
    }
  }
  return out.empty() ? fallback : out;
}

void clear_openssl_errors() noexcept {
  ERR_clear_error();
}

}  // namespace tern::net
