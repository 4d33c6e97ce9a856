#pragma once
// Password hashes in the formats of Mosquitto's password files (written by mosquitto_passwd):
//   $6$<salt>$<digest>              SHA-512 of password then salt (Mosquitto 1.6 and earlier)
//   $7$<iterations>$<salt>$<digest> PBKDF2-HMAC-SHA512, 64-byte digest (Mosquitto 2.0)
//   $argon2id$v=19$m=..,t=..,p=..$<salt>$<digest>  the PHC string of libargon2 (Mosquitto 2.1)
// and Tern's own SCRAM entries (RFC 5802 keys, not the password):
//   $scram-sha-256$<iterations>$<salt>$<StoredKey>$<ServerKey>   (and $scram-sha-512$)
// Salts, digests and keys are standard padded base64. Tern writes $7$ or SCRAM entries.
//
// A $7$ digest is SCRAM-SHA-512's SaltedPassword, so such users can also log in with SCRAM-SHA-512;
// a SCRAM entry serves its own mechanism and plain passwords (derive and compare StoredKey).
//
// Thread: pure functions; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/scram.hpp"

namespace tern::auth {

enum class hash_kind : std::uint8_t { sha512, pbkdf2_sha512, argon2id, scram_sha256, scram_sha512 };

struct password_hash {
  hash_kind kind = hash_kind::pbkdf2_sha512;
  std::uint32_t iterations = 0;  // $7$ and SCRAM
  std::string salt;              // raw bytes ($6$, $7$, SCRAM)
  std::string digest;            // raw bytes ($6$, $7$); SCRAM: StoredKey
  std::string server_key;        // SCRAM only
  std::string encoded;           // the text as stored in the file
};

// PBKDF2 iterations of entries Tern writes. OWASP's 2023 recommendation for
// PBKDF2-HMAC-SHA512; Mosquitto's own default (101) is far too cheap to slow an offline attack.
constexpr std::uint32_t k_default_iterations = 210'000;
// Upper bound accepted from a file: a hostile entry must not stall a shard for minutes.
constexpr std::uint32_t k_max_iterations = 10'000'000;
// Bounds on $argon2id$ parameters accepted from a file: a hostile or mistaken entry must not
// make one login take gigabytes of memory or many seconds of a worker thread.
constexpr std::uint32_t k_max_argon2_memory_kib = 256 * 1024;  // 256 MiB
constexpr std::uint32_t k_max_argon2_passes = 16;
constexpr std::uint32_t k_max_argon2_lanes = 16;

// A parsed hash, or why `encoded` is not one.
std::variant<password_hash, std::string> parse_password_hash(std::string_view encoded);

// Constant-time comparison of the derived digest.
bool verify_password(const password_hash& hash, std::string_view password);

// The SCRAM credentials `hash` holds for `mechanism`: a SCRAM entry of that mechanism, or a $7$
// entry for SCRAM-SHA-512. Nothing for any other combination.
std::optional<scram_credentials> scram_credentials_of(const password_hash& hash,
                                                      scram_mechanism mechanism);

// A new SCRAM entry with a random 16-byte salt.
std::string make_scram_hash(std::string_view password, scram_mechanism mechanism,
                            std::uint32_t iterations = k_default_iterations);

// A new "$7$" hash with a random 12-byte salt (the salt size mosquitto_passwd uses).
std::string make_pbkdf2_hash(std::string_view password,
                             std::uint32_t iterations = k_default_iterations);

}  // namespace tern::auth
