#pragma once
// The server side of SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as MQTT 5 enhanced
// authentication carries it: CONNECT's Authentication Data is the client-first message, the
// broker's AUTH (0x18) the server-first, the client's AUTH (0x18) the client-final, and CONNACK
// (or AUTH 0x00 on re-authentication) the server-final.
//
// Model: the broker stores, per user, the iteration count, the salt, StoredKey = H(ClientKey)
// and ServerKey, never the password. Checking a proof is two HMACs and one hash, so no key
// derivation runs during an exchange: a SaltedPassword (a Mosquitto `$7$` digest is one for
// SCRAM-SHA-512) becomes StoredKey and ServerKey with three HMACs.
//
// An exchange for a user who does not exist, or whose entry cannot serve the method, runs to
// the end with a salt derived from a server secret and the username (stable across attempts,
// as RFC 5802 section 5.1 suggests) and then fails like a wrong password: the answers do not
// tell which users exist. Usernames are compared as sent (no SASLprep).
//
// Thread: an exchange belongs to one session (one shard thread); the free functions are pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tern::auth {

enum class scram_mechanism : std::uint8_t { sha256, sha512 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512"; nothing for another method.
std::optional<scram_mechanism> scram_mechanism_named(std::string_view method);
std::string_view scram_method_name(scram_mechanism mechanism);

// What the broker keeps of a user for one mechanism. Salt and keys are raw bytes.
struct scram_credentials {
  scram_mechanism mechanism = scram_mechanism::sha256;
  std::uint32_t iterations = 0;
  std::string salt;
  std::string stored_key;
  std::string server_key;
};

// StoredKey and ServerKey from SaltedPassword = Hi(password, salt, iterations).
scram_credentials scram_credentials_from_salted(scram_mechanism mechanism, std::uint32_t iterations,
                                                std::string salt, std::string_view salted_password);
// The full derivation from a password (PBKDF2: as costly as the iteration count says).
scram_credentials derive_scram_credentials(scram_mechanism mechanism, std::string_view password,
                                           std::string salt, std::uint32_t iterations);

// One exchange. Messages longer than k_max_message are refused, so the state stays small.
class scram_exchange {
 public:
  static constexpr std::size_t k_max_message = 1024;
  // Iteration count announced for users that do not exist: the one `tern passwd` writes.
  static constexpr std::uint32_t k_fake_iterations = 210'000;

  explicit scram_exchange(scram_mechanism mechanism) : mechanism_(mechanism) {}

  scram_mechanism mechanism() const noexcept { return mechanism_; }

  // Reads the client-first message; returns the username it names, or why it is unusable.
  std::variant<std::string, std::string> on_client_first(std::string_view message);

  // The server-first message. `credentials` null: the user cannot log in with this mechanism
  // (unknown, or an entry of another kind); `secret` then seeds a stable fake salt.
  // `server_nonce` is appended to the client's nonce (printable, no ','; random in production).
  std::string server_first(const scram_credentials* credentials, std::string_view secret,
                           std::string_view server_nonce);

  struct final_result {
    bool accepted = false;
    std::string server_final;  // "v=<ServerSignature>" when accepted
    std::string detail;        // why not, for the log
  };
  // Checks the client-final message's proof.
  final_result on_client_final(std::string_view message);

 private:
  enum class step : std::uint8_t { client_first, client_final, done };

  scram_mechanism mechanism_;
  step step_ = step::client_first;
  bool doomed_ = false;  // no credentials: the proof cannot be right
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string nonce_;  // client nonce + server nonce
  std::string server_first_;
  std::string username_;
  scram_credentials credentials_;
};

// A random nonce for server_first(): 18 random bytes in base64 (24 characters, no ',').
std::string make_scram_nonce();

}  // namespace tern::auth
