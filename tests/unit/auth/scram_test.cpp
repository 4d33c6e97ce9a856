// The SCRAM exchange against published and independently computed vectors: RFC 7677's
// SCRAM-SHA-256 example, and a SCRAM-SHA-512 exchange computed with Python's hashlib/hmac
// (same user, password, client nonce and iteration count as the RFC; its own salt and server
// nonce). Also: SCRAM entries and $7$ entries as SCRAM credentials, and argon2id cost limits.

#include <gtest/gtest.h>

#include "auth/base64.hpp"
#include "auth/password_file.hpp"
#include "auth/password_hash.hpp"
#include "auth/scram.hpp"

namespace tern::auth {
namespace {

constexpr const char* k_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";

struct vector {
  scram_mechanism mechanism;
  const char* salt_b64;
  const char* server_nonce;
  const char* server_first;
  const char* client_final;
  const char* server_final;
};

// RFC 7677 section 3.
const vector k_sha256{
    scram_mechanism::sha256,
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="};

// Computed with Python 3 (hashlib.pbkdf2_hmac('sha512', ...), hmac), independent of this code.
const vector k_sha512{
    scram_mechanism::sha512,
    "QSXCR+Q6sek8bf92",
    "3rfcNHYJY1ZVvWVs7j",
    "r=rOprNGfwEbeRWgbNEkqO3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO3rfcNHYJY1ZVvWVs7j,"
    "p=zK0GyUU4eiPbsDgyUwFagtyp/zF/V83jraxOLQaH1XgAM2FVITQxBKmhgGpK17k49UtWj5xpeqiVM2Ty3cGCBA==",
    "v=8VgYFbxiFQ4EiaPBxycccAcyU+NQUbcRg9jwYx3pj5Hy1Yhl044ENC6evNQCgoz/"
    "ZU2cnnYVHXqdF4RJHQU2rw=="};

scram_credentials credentials_of(const vector& v, std::string_view password = "pencil") {
  return derive_scram_credentials(v.mechanism, password, *base64_decode(v.salt_b64), 4096);
}

class scram_vectors : public ::testing::TestWithParam<vector> {};

TEST_P(scram_vectors, accepts_the_exchange_and_signs_the_server_final) {
  const auto& v = GetParam();
  scram_exchange exchange(v.mechanism);
  const auto first = exchange.on_client_first(k_client_first);
  ASSERT_EQ(first.index(), 0u) << std::get<1>(first);
  EXPECT_EQ(std::get<0>(first), "user");
  const auto creds = credentials_of(v);
  EXPECT_EQ(exchange.server_first(&creds, "secret", v.server_nonce), v.server_first);
  const auto result = exchange.on_client_final(v.client_final);
  EXPECT_TRUE(result.accepted) << result.detail;
  EXPECT_EQ(result.server_final, v.server_final);
}

TEST_P(scram_vectors, refuses_a_proof_made_with_another_password) {
  const auto& v = GetParam();
  scram_exchange exchange(v.mechanism);
  ASSERT_EQ(exchange.on_client_first(k_client_first).index(), 0u);
  const auto creds = credentials_of(v, "pencil2");
  (void)exchange.server_first(&creds, "secret", v.server_nonce);
  const auto result = exchange.on_client_final(v.client_final);
  EXPECT_FALSE(result.accepted);
  EXPECT_TRUE(result.server_final.empty());
  EXPECT_EQ(result.detail, "wrong proof for user 'user'");
}

TEST_P(scram_vectors, an_unknown_user_gets_a_stable_fake_salt_and_fails) {
  const auto& v = GetParam();
  std::string salts[2];
  for (auto& salt : salts) {
    scram_exchange exchange(v.mechanism);
    ASSERT_EQ(exchange.on_client_first(k_client_first).index(), 0u);
    salt = exchange.server_first(nullptr, "secret", v.server_nonce);
    EXPECT_FALSE(exchange.on_client_final(v.client_final).accepted);
  }
  EXPECT_EQ(salts[0], salts[1]);
  EXPECT_NE(salts[0], v.server_first);
  EXPECT_NE(salts[0].find(",i=210000"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(rfc7677_and_sha512, scram_vectors, ::testing::Values(k_sha256, k_sha512),
                         [](const ::testing::TestParamInfo<vector>& param_info) {
                           return param_info.param.mechanism == scram_mechanism::sha256 ? "sha256"
                                                                                        : "sha512";
                         });

TEST(scram_exchange, refuses_malformed_or_unsupported_client_first_messages) {
  for (const char* message : {"", "n,,", "p=tls-unique,,n=user,r=abc", "n,a=admin,n=user,r=abc",
                              "n,,n=,r=abc", "n,,n=user", "n,,n=user,r=", "n,,n=us=ZZer,r=abc",
                              "x,,n=user,r=abc", "n,,m=ext,n=user,r=abc"}) {
    scram_exchange exchange(scram_mechanism::sha256);
    EXPECT_EQ(exchange.on_client_first(message).index(), 1u) << message;
  }
  scram_exchange exchange(scram_mechanism::sha256);
  EXPECT_EQ(exchange.on_client_first(std::string(2000, 'n')).index(), 1u);
}

TEST(scram_exchange, decodes_escaped_usernames) {
  scram_exchange exchange(scram_mechanism::sha256);
  const auto first = exchange.on_client_first("y,,n=a=2Cb=3Dc,r=abc");
  ASSERT_EQ(first.index(), 0u);
  EXPECT_EQ(std::get<0>(first), "a,b=c");
}

TEST(scram_exchange, refuses_a_final_message_with_another_nonce_or_binding) {
  const auto creds = credentials_of(k_sha256);
  const auto run = [&](std::string_view final_message) {
    scram_exchange exchange(scram_mechanism::sha256);
    (void)exchange.on_client_first(k_client_first);
    (void)exchange.server_first(&creds, "secret", k_sha256.server_nonce);
    return exchange.on_client_final(final_message);
  };
  EXPECT_EQ(
      run("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=").detail,
      "nonce does not match");
  EXPECT_EQ(run("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA").detail,
            "channel binding data does not match the gs2 header");
  EXPECT_EQ(run("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0").detail,
            "client-final message without proof");
  EXPECT_FALSE(run(k_sha256.client_final).detail.size() > 0);
}

TEST(scram_exchange, messages_out_of_order_are_refused) {
  scram_exchange exchange(scram_mechanism::sha256);
  EXPECT_FALSE(exchange.on_client_final(k_sha256.client_final).accepted);
  scram_exchange again(scram_mechanism::sha256);
  ASSERT_EQ(again.on_client_first(k_client_first).index(), 0u);
  EXPECT_EQ(again.on_client_first(k_client_first).index(), 1u);
}

TEST(scram_credentials, a_mosquitto_pbkdf2_entry_serves_scram_sha512_only) {
  const auto parsed = parse_password_hash(make_pbkdf2_hash("pencil", 4096));
  const auto& hash = std::get<password_hash>(parsed);
  EXPECT_FALSE(scram_credentials_of(hash, scram_mechanism::sha256));
  const auto creds = scram_credentials_of(hash, scram_mechanism::sha512);
  ASSERT_TRUE(creds);
  const auto expected =
      derive_scram_credentials(scram_mechanism::sha512, "pencil", hash.salt, 4096);
  EXPECT_EQ(creds->stored_key, expected.stored_key);
  EXPECT_EQ(creds->server_key, expected.server_key);
  EXPECT_EQ(creds->iterations, 4096u);
}

TEST(scram_credentials, scram_entries_verify_plain_passwords_and_their_own_mechanism) {
  for (const auto mechanism : {scram_mechanism::sha256, scram_mechanism::sha512}) {
    const auto encoded = make_scram_hash("pencil", mechanism, 4096);
    EXPECT_TRUE(encoded.starts_with(mechanism == scram_mechanism::sha256 ? "$scram-sha-256$4096$"
                                                                         : "$scram-sha-512$4096$"));
    const auto parsed = parse_password_hash(encoded);
    ASSERT_EQ(parsed.index(), 0u) << std::get<1>(parsed);
    const auto& hash = std::get<password_hash>(parsed);
    EXPECT_TRUE(verify_password(hash, "pencil"));
    EXPECT_FALSE(verify_password(hash, "pencil "));
    const auto other =
        mechanism == scram_mechanism::sha256 ? scram_mechanism::sha512 : scram_mechanism::sha256;
    EXPECT_FALSE(scram_credentials_of(hash, other));
    const auto creds = scram_credentials_of(hash, mechanism);
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->stored_key,
              derive_scram_credentials(mechanism, "pencil", hash.salt, 4096).stored_key);
  }
}

TEST(scram_credentials, damaged_scram_entries_are_load_errors) {
  const auto error_of = [](std::string_view text) {
    const auto parsed = parse_password_hash(text);
    return parsed.index() == 1 ? std::get<1>(parsed) : std::string("parsed");
  };
  EXPECT_EQ(error_of("$scram-sha-256$0$AAAA$AAAA$AAAA"),
            "iteration count '0' is not a number in 1..10000000");
  EXPECT_EQ(error_of("$scram-sha-256$4096$AAAA$AAAA$AAAA"), "keys are not base64 32-byte values");
  EXPECT_EQ(error_of("$scram-sha-512$4096$AAAA"),
            "not a $6$, $7$, $argon2id$ or $scram-sha-256/512$ password hash");
}

TEST(argon2_limits, absurd_costs_are_refused_at_load_time) {
  const std::string tail = "$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
  EXPECT_EQ(parse_password_hash("$argon2id$v=19$m=4096,t=3,p=1" + tail).index(), 0u);
  for (const char* params : {"m=4194304,t=3,p=1", "m=4096,t=1000,p=1", "m=4096,t=3,p=255"}) {
    const auto parsed = parse_password_hash(std::string("$argon2id$v=19$") + params + tail);
    ASSERT_EQ(parsed.index(), 1u) << params;
    EXPECT_NE(std::get<1>(parsed).find("above Tern's limits"), std::string::npos)
        << std::get<1>(parsed);
  }
  for (const char* params : {"m=4096,t=3", "m=x,t=3,p=1", "m=4096,t=3,p=99999999999"}) {
    const auto parsed = parse_password_hash(std::string("$argon2id$v=19$") + params + tail);
    ASSERT_EQ(parsed.index(), 1u) << params;
    EXPECT_EQ(std::get<1>(parsed), "damaged $argon2id$ parameters");
  }
}

}  // namespace
}  // namespace tern::auth
