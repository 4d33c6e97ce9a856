// TLS listener settings: what is read, and the precise errors for what cannot work. The test
// certificates are made once per run with the openssl command line tool in a temporary
// directory.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "app/config.hpp"

namespace tern::app {
namespace {

namespace fs = std::filesystem;

void run(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

class tls_config_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("tern-tls-config-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    run("openssl req -x509" + key + " -keyout " + d + "/ca.key -out " + d +
        "/ca.crt -subj /CN=ca -days 2");
    run("openssl req -x509" + key + " -keyout " + d + "/server.key -out " + d +
        "/server.crt -subj /CN=localhost -days 2");
    run("openssl req -x509" + key + " -keyout " + d + "/other.key -out " + d +
        "/other.crt -subj /CN=other -days 2");
    std::ofstream(dir_ / "not-pem.txt") << "just some text\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // Writes the configuration next to the certificates, so relative paths work.
  fs::path write(const std::string& text) {
    const fs::path path =
        dir_ /
        (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".toml");
    std::ofstream(path) << text;
    return path;
  }

  std::string error_of(const std::string& text) {
    config c;
    try {
      load_config_file(write(text), c);
    } catch (const config_error& e) {
      return e.what();
    }
    return "";
  }

  static std::string listener(const std::string& extra) {
    return "[[listeners]]\nprotocol = \"mqtts\"\ncertfile = \"server.crt\"\nkeyfile = "
           "\"server.key\"\n" +
           extra;
  }

  static inline fs::path dir_;
};

TEST_F(tls_config_test, reads_a_tls_listener) {
  config c;
  load_config_file(write(listener(R"(cafile = "ca.crt"
require_certificate = true
use_identity_as_username = "cn"
ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"
ciphersuites = "TLS_AES_128_GCM_SHA256"
[[listeners]]
port = 1884
)")),
                   c);
  ASSERT_EQ(c.listeners.size(), 2u);
  const auto& l = c.listeners[0];
  EXPECT_EQ(l.protocol, listener_protocol::mqtts);
  EXPECT_EQ(l.port, 8883) << "mqtts listens on 8883 unless told otherwise";
  EXPECT_EQ(l.tls.certfile, dir_ / "server.crt") << "relative to the configuration file";
  EXPECT_EQ(l.tls.keyfile, dir_ / "server.key");
  EXPECT_EQ(l.tls.cafile, dir_ / "ca.crt");
  EXPECT_TRUE(l.tls.require_certificate);
  EXPECT_EQ(l.tls.use_identity_as_username, net::identity_source::common_name);
  EXPECT_EQ(l.tls.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(l.tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(c.listeners[1].protocol, listener_protocol::mqtt);
  EXPECT_EQ(c.listeners[1].port, 1884);
}

TEST_F(tls_config_test, identity_source_is_cn_san_or_false) {
  const auto identity = [&](const std::string& value) {
    config c;
    load_config_file(write(listener("cafile = \"ca.crt\"\nrequire_certificate = true\n"
                                    "use_identity_as_username = " +
                                    value + "\n")),
                     c);
    return c.listeners[0].tls.use_identity_as_username;
  };
  EXPECT_EQ(identity("\"san\""), net::identity_source::subject_alt_name);
  EXPECT_EQ(identity("false"), net::identity_source::none);
  EXPECT_NE(error_of(listener("cafile = \"ca.crt\"\nrequire_certificate = true\n"
                              "use_identity_as_username = true\n"))
                .find(":7: listeners[0].use_identity_as_username: use \"cn\""),
            std::string::npos);
  EXPECT_NE(error_of(listener("cafile = \"ca.crt\"\nrequire_certificate = true\n"
                              "use_identity_as_username = \"email\"\n"))
                .find("listeners[0].use_identity_as_username: must be \"cn\", \"san\" or false"),
            std::string::npos);
}

TEST_F(tls_config_test, certificate_and_key_are_required) {
  const auto error =
      error_of("shards = 1\n[[listeners]]\nprotocol = \"mqtts\"\nkeyfile = \"server.key\"\n");
  EXPECT_NE(
      error.find(":2: listeners[0].certfile: is required for protocols \"mqtts\" and \"wss\""),
      std::string::npos)
      << error;
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"mqtts\"\ncertfile = \"server.crt\"\n")
                .find("listeners[0].keyfile: is required"),
            std::string::npos);
}

TEST_F(tls_config_test, missing_certificate_file_names_the_line) {
  const auto error = error_of(
      "[[listeners]]\nprotocol = \"mqtts\"\ncertfile = \"nowhere.crt\"\nkeyfile = "
      "\"server.key\"\n");
  EXPECT_NE(error.find(":3: listeners[0].certfile: '" + (dir_ / "nowhere.crt").string() +
                       "' does not exist"),
            std::string::npos)
      << error;
}

TEST_F(tls_config_test, file_without_a_certificate_is_refused) {
  const auto error = error_of(
      "[[listeners]]\nprotocol = \"mqtts\"\ncertfile = \"not-pem.txt\"\nkeyfile = "
      "\"server.key\"\n");
  EXPECT_NE(error.find(":3: listeners[0].certfile: '" + (dir_ / "not-pem.txt").string() +
                       "' holds no usable PEM certificate"),
            std::string::npos)
      << error;
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"mqtts\"\ncertfile = \"server.crt\"\n"
                     "keyfile = \"server.crt\"\n")
                .find(":4: listeners[0].keyfile: '" + (dir_ / "server.crt").string() +
                      "' holds no usable PEM private key"),
            std::string::npos);
}

TEST_F(tls_config_test, key_that_does_not_match_the_certificate_is_refused) {
  const auto error = error_of(
      "[[listeners]]\nprotocol = \"mqtts\"\ncertfile = \"server.crt\"\nkeyfile = \"other.key\"\n");
  EXPECT_NE(
      error.find(":4: listeners[0].keyfile: the private key in '" + (dir_ / "other.key").string() +
                 "' does not match the certificate in '" + (dir_ / "server.crt").string() + "'"),
      std::string::npos)
      << error;
}

TEST_F(tls_config_test, client_certificates_need_a_ca) {
  EXPECT_NE(error_of(listener("require_certificate = true\n"))
                .find(":5: listeners[0].require_certificate: needs cafile or capath"),
            std::string::npos);
  EXPECT_NE(
      error_of(listener("cafile = \"ca.crt\"\nuse_identity_as_username = \"cn\"\n"))
          .find(":6: listeners[0].use_identity_as_username: needs require_certificate = true"),
      std::string::npos);
  EXPECT_NE(error_of(listener("cafile = \"not-pem.txt\"\n"))
                .find(":5: listeners[0].cafile: '" + (dir_ / "not-pem.txt").string() +
                      "' holds no usable PEM CA certificate"),
            std::string::npos);
  EXPECT_NE(
      error_of(listener("capath = \"ca.crt\"\n"))
          .find(":5: listeners[0].capath: '" + (dir_ / "ca.crt").string() + "' is not a directory"),
      std::string::npos);
  config c;
  load_config_file(write(listener("capath = \".\"\nrequire_certificate = true\n")), c);
  EXPECT_EQ(c.listeners[0].tls.capath, dir_ / ".");
}

TEST_F(tls_config_test, unknown_ciphers_are_refused) {
  EXPECT_NE(error_of(listener("ciphers = \"NO-SUCH-CIPHER\"\n"))
                .find(":5: listeners[0].ciphers: no TLS 1.2 cipher in 'NO-SUCH-CIPHER' is known"),
            std::string::npos);
  EXPECT_NE(error_of(listener("ciphersuites = \"TLS_NOPE\"\n"))
                .find(":5: listeners[0].ciphersuites: 'TLS_NOPE' is not a valid TLS 1.3"),
            std::string::npos);
}

TEST_F(tls_config_test, tls_settings_only_apply_to_tls_protocols) {
  EXPECT_NE(error_of("[[listeners]]\nport = 1883\ncertfile = \"server.crt\"\n")
                .find(":3: listeners[0].certfile: only applies to protocols \"mqtts\" and \"wss\""),
            std::string::npos);
  EXPECT_NE(error_of("[[listeners]]\nprotocol = \"quic\"\n")
                .find("listeners[0].protocol: 'quic' is not supported; use \"mqtt\", \"mqtts\", "
                      "\"ws\" or \"wss\""),
            std::string::npos);
  EXPECT_NE(error_of(listener("verify = true\n")).find("listeners[0].verify: unknown setting"),
            std::string::npos);
}

}  // namespace
}  // namespace tern::app
