#pragma once
// Password hashes in the formats of Mosquitto's password files (written by mosquitto_passwd):
//   $6$<salt>$<digest>              SHA-512 of password then salt (Mosquitto 1.6 and earlier)
//   $7$<iterations>$<salt>$<digest> PBKDF2-HMAC-SHA512, 64-byte digest (Mosquitto 2.0)
//   $argon2id$v=19$m=..,t=..,p=..$<salt>$<digest>  the PHC string of libargon2 (Mosquitto 2.1)
// Salts and digests of $6$/$7$ are standard padded base64. Tern writes $7$ entries.
//
// Thread: pure functions; any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace tern::auth {

enum class hash_kind : std::uint8_t { sha512, pbkdf2_sha512, argon2id };

struct password_hash {
  hash_kind kind = hash_kind::pbkdf2_sha512;
  std::uint32_t iterations = 0;  // $7$ only
  std::string salt;              // raw bytes ($6$, $7$)
  std::string digest;            // raw bytes ($6$, $7$)
  std::string encoded;           // the text as stored in the file
};

// PBKDF2 iterations of entries Tern writes. OWASP's 2023 recommendation for
// PBKDF2-HMAC-SHA512; Mosquitto's own default (101) is far too cheap to slow an offline attack.
constexpr std::uint32_t k_default_iterations = 210'000;
// Upper bound accepted from a file: a hostile entry must not stall a shard for minutes.
constexpr std::uint32_t k_max_iterations = 10'000'000;

// A parsed hash, or why `encoded` is not one.
std::variant<password_hash, std::string> parse_password_hash(std::string_view encoded);

// Constant-time comparison of the derived digest.
bool verify_password(const password_hash& hash, std::string_view password);

// A new "$7$" hash with a random 12-byte salt (the salt size mosquitto_passwd uses).
std::string make_pbkdf2_hash(std::string_view password,
                             std::uint32_t iterations = k_default_iterations);

}  // namespace tern::auth
