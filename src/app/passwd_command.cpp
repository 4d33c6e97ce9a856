#include "app/passwd_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "app/secret_input.hpp"
#include "auth/load_error.hpp"
#include "auth/password_file_edit.hpp"
#include "auth/password_hash.hpp"

namespace tern::app {

namespace {

std::optional<std::string> ask_password() {
  const auto first = read_secret("Password: ");
  if (!first) return std::nullopt;
  const auto second = read_secret("Reenter password: ");
  if (!second || *first != *second) {
    fmt::print(stderr, "tern passwd: the passwords do not match\n");
    return std::nullopt;
  }
  return first;
}

bool valid_username(std::string_view name) {
  if (name.empty()) return false;
  for (const char ch : name) {
    if (ch == ':' || static_cast<unsigned char>(ch) < 0x20) return false;
  }
  return true;
}

}  // namespace

int run_passwd(const passwd_options& options) {
  if (!valid_username(options.username)) {
    fmt::print(stderr, "tern passwd: the username must not be empty or contain ':'\n");
    return 1;
  }
  std::string text;
  if (!options.create) {
    if (!std::filesystem::exists(options.file)) {
      fmt::print(stderr, "tern passwd: {} does not exist (use -c to create it)\n", options.file);
      return 1;
    }
    try {
      text = auth::file_lines::read(options.file);
    } catch (const auth::load_error& e) {
      fmt::print(stderr, "tern passwd: {}\n", e.what());
      return 1;
    }
  }
  std::string entry;
  if (!options.remove) {
    auto password = options.batch ? options.password : ask_password();
    if (!password) return 1;
    if (password->empty()) {
      fmt::print(stderr, "tern passwd: empty password\n");
      return 1;
    }
    const auto iterations =
        options.iterations != 0 ? options.iterations : auth::k_default_iterations;
    const auto hash = !options.scram ? auth::make_pbkdf2_hash(*password, iterations)
                                     : auth::make_scram_hash(*password,
                                                             *options.scram == "sha-256"
                                                                 ? auth::scram_mechanism::sha256
                                                                 : auth::scram_mechanism::sha512,
                                                             iterations);
    entry = fmt::format("{}:{}", options.username, hash);
  }
  bool found = false;
  const auto updated = auth::edit_password_text(text, options.username, entry, found);
  if (options.remove && !found) {
    fmt::print(stderr, "tern passwd: user '{}' is not in {}\n", options.username, options.file);
    return 1;
  }
  try {
    auth::write_file_atomically(options.file, updated);
  } catch (const std::exception& e) {
    fmt::print(stderr, "tern passwd: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace tern::app
