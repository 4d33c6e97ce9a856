#pragma once
// UTF-8 Encoded String rules ([MQTT-1.5.4-1..3]).

#include <string_view>

namespace tern::codec {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates U+D800..U+DFFF, nothing
// above U+10FFFF) and holds no U+0000. A BOM (U+FEFF) is an ordinary character and is kept.
bool is_valid_mqtt_utf8(std::string_view text) noexcept;

}  // namespace tern::codec
