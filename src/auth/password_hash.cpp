#include "auth/password_hash.hpp"

#include <argon2.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <vector>

#include "auth/base64.hpp"

namespace tern::auth {

namespace {

constexpr std::size_t k_sha512_size = 64;
constexpr std::size_t k_salt_size = 12;

std::vector<std::string_view> split_dollar(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('$', start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string pbkdf2(std::string_view password, std::string_view salt, std::uint32_t iterations) {
  std::string out(k_sha512_size, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha512(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

std::string salted_sha512(std::string_view password, std::string_view salt) {
  std::string out(k_sha512_size, '\0');
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &size) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("SHA-512 failed");
  return out;
}

std::optional<std::uint32_t> number(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "m=<KiB>,t=<passes>,p=<lanes>" within Tern's bounds; otherwise why not.
std::optional<std::string> check_argon2_parameters(std::string_view text) {
  std::optional<std::uint32_t> m;
  std::optional<std::uint32_t> t;
  std::optional<std::uint32_t> p;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto field = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (field.size() < 3 || field[1] != '=') return "damaged $argon2id$ parameters";
    const auto value = number(field.substr(2));
    if (!value) return "damaged $argon2id$ parameters";
    if (field[0] == 'm') m = value;
    if (field[0] == 't') t = value;
    if (field[0] == 'p') p = value;
  }
  if (!m || !t || !p) return "damaged $argon2id$ parameters";
  if (*m > k_max_argon2_memory_kib || *t > k_max_argon2_passes || *p > k_max_argon2_lanes) {
    return fmt::format(
        "$argon2id$ cost m={},t={},p={} is above Tern's limits (m<={} KiB, t<={}, p<={})", *m, *t,
        *p, k_max_argon2_memory_kib, k_max_argon2_passes, k_max_argon2_lanes);
  }
  return std::nullopt;
}

scram_mechanism mechanism_of(hash_kind kind) {
  return kind == hash_kind::scram_sha256 ? scram_mechanism::sha256 : scram_mechanism::sha512;
}

std::string random_salt(std::size_t size) {
  std::string salt(size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    throw std::runtime_error("no random bytes for a salt");
  }
  return salt;
}

}  // namespace

std::variant<password_hash, std::string> parse_password_hash(std::string_view encoded) {
  password_hash h;
  h.encoded = std::string(encoded);
  if (encoded.starts_with("$argon2id$")) {
    // libargon2 parses the parameters itself when verifying; a wrong password and a damaged
    // string look alike there, so the shape is checked here: 5 '$'-separated fields.
    const auto fields = split_dollar(encoded);
    if (fields.size() != 6) return std::string("damaged $argon2id$ hash");
    if (auto why = check_argon2_parameters(fields[3])) return *why;
    h.kind = hash_kind::argon2id;
    return h;
  }
  const auto parts = split_dollar(encoded);
  const auto digest_of = [&](std::string_view salt_text,
                             std::string_view digest_text) -> std::optional<std::string> {
    auto salt = base64_decode(salt_text);
    if (!salt || salt->empty()) return "salt is not base64";
    auto digest = base64_decode(digest_text);
    if (!digest || digest->size() != k_sha512_size) return "digest is not a base64 SHA-512 value";
    h.salt = std::move(*salt);
    h.digest = std::move(*digest);
    return std::nullopt;
  };
  if (parts.size() == 4 && parts[0].empty() && parts[1] == "6") {
    h.kind = hash_kind::sha512;
    if (auto error = digest_of(parts[2], parts[3])) return *error;
    return h;
  }
  if (parts.size() == 5 && parts[0].empty() && parts[1] == "7") {
    h.kind = hash_kind::pbkdf2_sha512;
    const auto text = parts[2];
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), h.iterations);
    if (ec != std::errc{} || end != text.data() + text.size() || h.iterations == 0 ||
        h.iterations > k_max_iterations) {
      return fmt::format("iteration count '{}' is not a number in 1..{}", text, k_max_iterations);
    }
    if (auto error = digest_of(parts[3], parts[4])) return *error;
    return h;
  }
  const bool scram256 = parts.size() == 6 && parts[0].empty() && parts[1] == "scram-sha-256";
  const bool scram512 = parts.size() == 6 && parts[0].empty() && parts[1] == "scram-sha-512";
  if (scram256 || scram512) {
    h.kind = scram256 ? hash_kind::scram_sha256 : hash_kind::scram_sha512;
    const auto iterations = number(parts[2]);
    if (!iterations || *iterations == 0 || *iterations > k_max_iterations) {
      return fmt::format("iteration count '{}' is not a number in 1..{}", parts[2],
                         k_max_iterations);
    }
    h.iterations = *iterations;
    const std::size_t key_size = scram256 ? 32 : 64;
    auto salt = base64_decode(parts[3]);
    auto stored = base64_decode(parts[4]);
    auto server = base64_decode(parts[5]);
    if (!salt || salt->empty()) return std::string("salt is not base64");
    if (!stored || stored->size() != key_size || !server || server->size() != key_size) {
      return fmt::format("keys are not base64 {}-byte values", key_size);
    }
    h.salt = std::move(*salt);
    h.digest = std::move(*stored);
    h.server_key = std::move(*server);
    return h;
  }
  return std::string("not a $6$, $7$, $argon2id$ or $scram-sha-256/512$ password hash");
}

bool verify_password(const password_hash& hash, std::string_view password) {
  switch (hash.kind) {
    case hash_kind::argon2id:
      return argon2id_verify(hash.encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
    case hash_kind::sha512:
    case hash_kind::pbkdf2_sha512: {
      const auto derived = hash.kind == hash_kind::sha512
                               ? salted_sha512(password, hash.salt)
                               : pbkdf2(password, hash.salt, hash.iterations);
      return derived.size() == hash.digest.size() &&
             CRYPTO_memcmp(derived.data(), hash.digest.data(), derived.size()) == 0;
    }
    case hash_kind::scram_sha256:
    case hash_kind::scram_sha512: {
      const auto derived =
          derive_scram_credentials(mechanism_of(hash.kind), password, hash.salt, hash.iterations);
      return derived.stored_key.size() == hash.digest.size() &&
             CRYPTO_memcmp(derived.stored_key.data(), hash.digest.data(), hash.digest.size()) == 0;
    }
  }
  return false;
}

std::optional<scram_credentials> scram_credentials_of(const password_hash& hash,
                                                      scram_mechanism mechanism) {
  if (hash.kind == hash_kind::pbkdf2_sha512 && mechanism == scram_mechanism::sha512) {
    return scram_credentials_from_salted(mechanism, hash.iterations, hash.salt, hash.digest);
  }
  if ((hash.kind == hash_kind::scram_sha256 || hash.kind == hash_kind::scram_sha512) &&
      mechanism_of(hash.kind) == mechanism) {
    return scram_credentials{mechanism, hash.iterations, hash.salt, hash.digest, hash.server_key};
  }
  return std::nullopt;
}

std::string make_scram_hash(std::string_view password, scram_mechanism mechanism,
                            std::uint32_t iterations) {
  const auto c = derive_scram_credentials(mechanism, password, random_salt(16), iterations);
  return fmt::format(
      "${}${}${}${}${}", mechanism == scram_mechanism::sha256 ? "scram-sha-256" : "scram-sha-512",
      iterations, base64_encode(c.salt), base64_encode(c.stored_key), base64_encode(c.server_key));
}

std::string make_pbkdf2_hash(std::string_view password, std::uint32_t iterations) {
  const auto salt = random_salt(k_salt_size);
  return fmt::format("$7${}${}${}", iterations, base64_encode(salt),
                     base64_encode(pbkdf2(password, salt, iterations)));
}

}  // namespace tern::auth
