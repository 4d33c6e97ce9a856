#include "auth/scram.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "auth/base64.hpp"

namespace tern::auth {

namespace {

const EVP_MD* digest_of(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? EVP_sha256() : EVP_sha512();
}

std::string hmac(scram_mechanism m, std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (HMAC(digest_of(m), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &size) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  out.resize(size);
  return out;
}

std::string hash(scram_mechanism m, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &size,
                 digest_of(m), nullptr) != 1) {
    throw std::runtime_error("digest failed");
  }
  out.resize(size);
  return out;
}

// The value of attribute `name` ("n", "r", ...) at the front of `field` ("n=value").
std::optional<std::string_view> attribute(std::string_view field, char name) {
  if (field.size() < 2 || field[0] != name || field[1] != '=') return std::nullopt;
  return field.substr(2);
}

// Splits off the text up to the next ',' (all of it when there is none).
std::string_view next_field(std::string_view& text) {
  const auto comma = text.find(',');
  const auto field = text.substr(0, comma);
  text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  return field;
}

// saslname: ',' and '=' travel as "=2C" and "=3D"; any other '=' is malformed.
std::optional<std::string> decode_saslname(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '=') {
      out.push_back(name[i]);
      continue;
    }
    const auto code = name.substr(i + 1, 2);
    if (code == "2C") {
      out.push_back(',');
    } else if (code == "3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

bool printable_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char ch : nonce) {
    if (ch < 0x21 || ch > 0x7e || ch == ',') return false;
  }
  return true;
}

}  // namespace

std::optional<scram_mechanism> scram_mechanism_named(std::string_view method) {
  if (method == "SCRAM-SHA-256") return scram_mechanism::sha256;
  if (method == "SCRAM-SHA-512") return scram_mechanism::sha512;
  return std::nullopt;
}

std::string_view scram_method_name(scram_mechanism mechanism) {
  return mechanism == scram_mechanism::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

scram_credentials scram_credentials_from_salted(scram_mechanism mechanism, std::uint32_t iterations,
                                                std::string salt,
                                                std::string_view salted_password) {
  scram_credentials c;
  c.mechanism = mechanism;
  c.iterations = iterations;
  c.salt = std::move(salt);
  c.stored_key = hash(mechanism, hmac(mechanism, salted_password, "Client Key"));
  c.server_key = hmac(mechanism, salted_password, "Server Key");
  return c;
}

scram_credentials derive_scram_credentials(scram_mechanism mechanism, std::string_view password,
                                           std::string salt, std::uint32_t iterations) {
  const auto* md = digest_of(mechanism);
  std::string salted(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md,
                        static_cast<int>(salted.size()),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  auto c = scram_credentials_from_salted(mechanism, iterations, std::move(salt), salted);
  OPENSSL_cleanse(salted.data(), salted.size());
  return c;
}

std::variant<std::string, std::string> scram_exchange::on_client_first(std::string_view message) {
  using result = std::variant<std::string, std::string>;
  const auto fail = [](std::string why) { return result(std::in_place_index<1>, std::move(why)); };
  if (step_ != step::client_first) return fail("client-first message out of order");
  step_ = step::done;  // whatever follows, a second client-first is refused
  if (message.size() > k_max_message) return fail("client-first message too long");
  // gs2-header: "n" (no channel binding) or "y" (client could, thinks we cannot); "p=" asks for
  // channel binding, which MQTT offers no data for. No authorisation identity.
  auto rest = message;
  const auto flag = next_field(rest);
  if (flag == "p" || flag.starts_with("p=")) return fail("channel binding is not supported");
  if (flag != "n" && flag != "y") return fail("malformed gs2 header");
  const auto authzid = next_field(rest);
  if (!authzid.empty()) return fail("an authorization identity is not supported");
  gs2_header_ = std::string(message.substr(0, message.size() - rest.size()));
  client_first_bare_ = std::string(rest);
  const auto user_field = next_field(rest);
  if (user_field.starts_with("m=")) return fail("mandatory extension not supported");
  const auto name = attribute(user_field, 'n');
  auto username = name ? decode_saslname(*name) : std::nullopt;
  if (!username || username->empty()) return fail("malformed username");
  const auto nonce = attribute(next_field(rest), 'r');
  if (!nonce || !printable_nonce(*nonce)) return fail("malformed client nonce");
  nonce_ = std::string(*nonce);
  username_ = *username;
  step_ = step::client_final;
  return result(std::in_place_index<0>, std::move(*username));
}

std::string scram_exchange::server_first(const scram_credentials* credentials,
                                         std::string_view secret, std::string_view server_nonce) {
  if (credentials != nullptr && credentials->mechanism == mechanism_) {
    credentials_ = *credentials;
  } else {
    // Same salt for the same name every time, so probing cannot tell real users from others.
    doomed_ = true;
    credentials_ = scram_credentials{};
    credentials_.mechanism = mechanism_;
    credentials_.iterations = k_fake_iterations;
    credentials_.salt = hmac(mechanism_, secret, username_).substr(0, 16);
    // Keys of the right size, so a well-formed proof is checked (and refused) like any other.
    credentials_.stored_key = hmac(mechanism_, secret, "StoredKey" + username_);
    credentials_.server_key = hmac(mechanism_, secret, "ServerKey" + username_);
  }
  nonce_ += server_nonce;
  server_first_ = fmt::format("r={},s={},i={}", nonce_, base64_encode(credentials_.salt),
                              credentials_.iterations);
  return server_first_;
}

scram_exchange::final_result scram_exchange::on_client_final(std::string_view message) {
  final_result out;
  if (step_ != step::client_final || server_first_.empty()) {
    out.detail = "client-final message out of order";
    return out;
  }
  step_ = step::done;
  if (message.size() > k_max_message) {
    out.detail = "client-final message too long";
    return out;
  }
  const auto proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) {
    out.detail = "client-final message without proof";
    return out;
  }
  const auto without_proof = message.substr(0, proof_at);
  auto rest = without_proof;
  const auto binding = attribute(next_field(rest), 'c');
  if (!binding || base64_decode(*binding) != gs2_header_) {
    out.detail = "channel binding data does not match the gs2 header";
    return out;
  }
  const auto nonce = attribute(next_field(rest), 'r');
  if (!nonce || *nonce != nonce_) {
    out.detail = "nonce does not match";
    return out;
  }
  const auto proof = base64_decode(message.substr(proof_at + 3));
  if (!proof || proof->size() != credentials_.stored_key.size()) {
    out.detail = "malformed client proof";
    return out;
  }
  const auto auth_message =
      fmt::format("{},{},{}", client_first_bare_, server_first_, without_proof);
  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); it is right if H(ClientKey) is
  // StoredKey.
  auto client_key = hmac(mechanism_, credentials_.stored_key, auth_message);
  for (std::size_t i = 0; i < client_key.size(); ++i) client_key[i] ^= (*proof)[i];
  const auto stored = hash(mechanism_, client_key);
  const bool match =
      CRYPTO_memcmp(stored.data(), credentials_.stored_key.data(), stored.size()) == 0;
  if (!match || doomed_) {
    out.detail = doomed_ ? fmt::format("user '{}' has no {} credentials", username_,
                                       scram_method_name(mechanism_))
                         : fmt::format("wrong proof for user '{}'", username_);
    return out;
  }
  out.accepted = true;
  out.server_final = "v=" + base64_encode(hmac(mechanism_, credentials_.server_key, auth_message));
  return out;
}

std::string make_scram_nonce() {
  std::string bytes(18, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) !=
      1) {
    throw std::runtime_error("no random bytes for a nonce");
  }
  return base64_encode(bytes);
}

}  // namespace tern::auth
