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

}  // namespace

std::variant<password_hash, std::string> parse_password_hash(std::string_view encoded) {
  password_hash h;
  h.encoded = std::string(encoded);
  if (encoded.starts_with("$argon2id$")) {
    // libargon2 parses the parameters itself when verifying; a wrong password and a damaged
    // string look alike there, so the shape is checked here: 5 '$'-separated fields.
    if (split_dollar(encoded).size() != 6) return std::string("damaged $argon2id$ hash");
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
  return std::string("not a $6$, $7$ or $argon2id$ password hash");
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
  }
  return false;
}

std::string make_pbkdf2_hash(std::string_view password, std::uint32_t iterations) {
  std::string salt(k_salt_size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    throw std::runtime_error("no random bytes for a salt");
  }
  return fmt::format("$7${}${}${}", iterations, base64_encode(salt),
                     base64_encode(pbkdf2(password, salt, iterations)));
}

}  // namespace tern::auth
