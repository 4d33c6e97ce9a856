#pragma once
// Reading a password from the person at the terminal (`tern passwd`, `tern ctl --user`).

#include <optional>
#include <string>

namespace tern::app {

// One line of standard input, without its line end. On a terminal `prompt` goes to stderr and
// the typed characters are not echoed; otherwise the line is read as it comes (scripts, pipes).
// Empty when standard input is at its end.
std::optional<std::string> read_secret(const char* prompt);

}  // namespace tern::app
