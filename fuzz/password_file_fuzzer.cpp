// libFuzzer target: password files as an administrator (or an attacker with write access to the
// file) could hand them over. Input: the file text, then optionally a NUL and NUL-separated probe
// fields [password, username]; a seed without a NUL is a plain password file.
//
// Checked: parsing throws nothing but load_error; a file that parses has one entry per
// non-comment line; entries verify a probe password deterministically (only cheap ones: hashing
// time is not what is fuzzed); and a $7$ entry written by Tern for the probe password accepts it
// and refuses a different one, on its own and inside a password file.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "auth/password_file.hpp"
#include "auth/password_hash.hpp"

namespace {

using namespace tern::auth;

// Cost bounds for verification inside the fuzzer.
constexpr std::uint32_t k_max_fuzz_iterations = 1000;
constexpr std::uint32_t k_fuzz_argon2_memory_kib = 256;
constexpr std::uint32_t k_fuzz_argon2_passes = 2;
constexpr std::uint32_t k_fuzz_argon2_lanes = 2;

void require(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

// Reads "<key><decimal>" exactly.
bool read_param(std::string_view field, std::string_view key, std::uint32_t& value) {
  if (!field.starts_with(key)) return false;
  field.remove_prefix(key.size());
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc{} && end == field.data() + field.size();
}

// An argon2id PHC string whose "m=..,t=..,p=.." costs are small enough to compute per input.
bool cheap_argon2(std::string_view encoded) {
  const auto fields = split(encoded, '$');
  if (fields.size() != 6) return false;
  const auto params = split(fields[3], ',');
  std::uint32_t m = 0;
  std::uint32_t t = 0;
  std::uint32_t p = 0;
  return params.size() == 3 && read_param(params[0], "m=", m) && read_param(params[1], "t=", t) &&
         read_param(params[2], "p=", p) && m <= k_fuzz_argon2_memory_kib &&
         t <= k_fuzz_argon2_passes && p <= k_fuzz_argon2_lanes;
}

bool cheap(const password_hash& hash) {
  switch (hash.kind) {
    case hash_kind::sha512:
      return true;
    case hash_kind::pbkdf2_sha512:
    case hash_kind::scram_sha256:
    case hash_kind::scram_sha512:
      return hash.iterations <= k_max_fuzz_iterations;
    case hash_kind::argon2id:
      return cheap_argon2(hash.encoded);
  }
  return false;
}

// Every entry of a parsed file is there under its username, as written, and verifies the probe
// password the same way twice.
void check_entries(const password_file& file, std::string_view text, std::string_view password) {
  std::size_t entries = 0;
  for (auto line : split(text, '\n')) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    ++entries;
    const auto colon = line.find(':');
    require(colon != std::string_view::npos);
    const auto user = line.substr(0, colon);
    const auto* hash = file.find(user);
    require(hash != nullptr && hash->encoded == line.substr(colon + 1));
    if (!cheap(*hash)) continue;
    const bool accepted = file.verify(user, password);
    require(accepted == verify_password(*hash, password));
  }
  require(entries == file.size());
}

// A username that password_file::parse reads back as itself.
std::string usable_username(std::string_view probe) {
  if (probe.empty() || probe.front() == '#' || probe.ends_with('\r') ||
      probe.find_first_of(":\n") != std::string_view::npos) {
    return "user";
  }
  return std::string(probe);
}

void check_round_trip(std::string_view password, std::string_view username_probe,
                      std::uint32_t iterations) {
  const auto encoded = make_pbkdf2_hash(password, iterations);
  const auto parsed = parse_password_hash(encoded);
  const auto* hash = std::get_if<password_hash>(&parsed);
  require(hash != nullptr && hash->kind == hash_kind::pbkdf2_sha512 &&
          hash->iterations == iterations && hash->encoded == encoded);
  const std::string other = std::string(password) + "x";
  require(verify_password(*hash, password));
  require(!verify_password(*hash, other));

  const auto user = usable_username(username_probe);
  const auto file = password_file::parse(user + ":" + encoded + "\n", "round-trip");
  require(file.size() == 1);
  require(file.verify(user, password));
  require(!file.verify(user, other));
  require(!file.verify(user + "x", password));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const auto text = input.substr(0, nul);
  std::vector<std::string_view> probes;
  if (nul != std::string_view::npos) probes = split(input.substr(nul + 1), '\0');
  const std::string_view password = probes.size() > 0 ? probes[0] : "secret";
  const std::string_view username = probes.size() > 1 ? probes[1] : "user";

  try {
    const auto file = password_file::parse(text, "fuzz");
    check_entries(file, text, password);
  } catch (const load_error&) {
    // The documented way to refuse a file; anything else escapes and is reported.
  }

  // 1..16 iterations: the round trip is about the format, not the cost.
  check_round_trip(password, username, 1 + static_cast<std::uint32_t>(size % 16));
  return 0;
}
