#pragma once
// `tern ctl`: how the admin API's answers are shown. Pure, unit-tested.

#include <string>
#include <string_view>

namespace tern::app {

// A JSON body indented by two spaces per level, keys in the server's order, ending in a newline;
// a body that is not JSON comes back as it is (with a newline added if it lacked one).
std::string format_body(std::string_view body);

// The one-line reason of an error answer: its "error" member when the body is a JSON object
// holding one, else the body itself on one line ("(empty body)" when there is none).
std::string error_reason(std::string_view body);

}  // namespace tern::app
