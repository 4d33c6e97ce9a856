#pragma once
// Standard base64 (RFC 4648 alphabet, '=' padding), as password files store salts and digests.

#include <optional>
#include <string>
#include <string_view>

namespace tern::auth {

std::string base64_encode(std::string_view bytes);
// Empty when `text` is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tern::auth
