#include "net/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>

#include "net/openssl_errors.hpp"

namespace tern::net {

namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;

namespace {

// Session resumption with client certificates needs a context name; any constant will do.
constexpr unsigned char k_session_context[] = "tern";

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

// Refuses to prompt on the terminal for the passphrase of an encrypted key.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

// Fails unless `path` is a readable regular file; says precisely why.
void require_readable_file(const fs::path& path, const std::string& setting) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    throw tls_setup_error(setting, fmt::format("'{}' does not exist", path.string()));
  }
  if (!fs::is_regular_file(status)) {
    throw tls_setup_error(setting, fmt::format("'{}' is not a regular file", path.string()));
  }
  std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    throw tls_setup_error(setting,
                          fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
}

void load_certificate(SSL_CTX* ctx, const fs::path& certfile) {
  require_readable_file(certfile, "certfile");
  clear_openssl_errors();
  if (SSL_CTX_use_certificate_chain_file(ctx, certfile.c_str()) != 1) {
    throw tls_setup_error("certfile", fmt::format("'{}' holds no usable PEM certificate: {}",
                                                  certfile.string(), take_openssl_errors()));
  }
}

void load_private_key(SSL_CTX* ctx, const fs::path& keyfile, const fs::path& certfile) {
  require_readable_file(keyfile, "keyfile");
  clear_openssl_errors();
  std::unique_ptr<std::FILE, file_closer> file(std::fopen(keyfile.c_str(), "rb"));
  std::unique_ptr<EVP_PKEY, pkey_deleter> key(
      file ? PEM_read_PrivateKey(file.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!key) {
    throw tls_setup_error(
        "keyfile", fmt::format("'{}' holds no usable PEM private key (encrypted keys are not "
                               "supported): {}",
                               keyfile.string(), take_openssl_errors()));
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    clear_openssl_errors();
    throw tls_setup_error(
        "keyfile", fmt::format("the private key in '{}' does not match the certificate in '{}'",
                               keyfile.string(), certfile.string()));
  }
}

void load_client_cas(SSL_CTX* ctx, const tls_settings& settings) {
  if (!settings.cafile.empty()) {
    require_readable_file(settings.cafile, "cafile");
    clear_openssl_errors();
    if (SSL_CTX_load_verify_file(ctx, settings.cafile.c_str()) != 1) {
      throw tls_setup_error("cafile", fmt::format("'{}' holds no usable PEM CA certificate: {}",
                                                  settings.cafile.string(), take_openssl_errors()));
    }
    // Tells clients which CAs are accepted, so they pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.cafile.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
  }
  if (!settings.capath.empty()) {
    std::error_code ec;
    if (!fs::is_directory(settings.capath, ec)) {
      throw tls_setup_error("capath",
                            fmt::format("'{}' is not a directory", settings.capath.string()));
    }
    clear_openssl_errors();
    if (SSL_CTX_load_verify_dir(ctx, settings.capath.c_str()) != 1) {
      throw tls_setup_error("capath", fmt::format("cannot use '{}': {}", settings.capath.string(),
                                                  take_openssl_errors()));
    }
  }
}

void set_ciphers(SSL_CTX* ctx, const tls_settings& settings) {
  clear_openssl_errors();
  if (!settings.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    clear_openssl_errors();
    throw tls_setup_error(
        "ciphers", fmt::format("no TLS 1.2 cipher in '{}' is known to OpenSSL", settings.ciphers));
  }
  if (!settings.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) != 1) {
    clear_openssl_errors();
    throw tls_setup_error("ciphersuites",
                          fmt::format("'{}' is not a valid TLS 1.3 cipher suite list (such as "
                                      "\"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\")",
                                      settings.ciphersuites));
  }
}

int verify_mode(const tls_settings& settings) {
  if (settings.require_certificate) return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  // Trust anchors without the requirement: a certificate is optional, but checked when sent.
  if (!settings.cafile.empty() || !settings.capath.empty()) return SSL_VERIFY_PEER;
  return SSL_VERIFY_NONE;
}

}  // namespace

tls_profile_ptr make_tls_profile(const tls_settings& settings) {
  if (settings.certfile.empty()) throw tls_setup_error("certfile", "is required for mqtts");
  if (settings.keyfile.empty()) throw tls_setup_error("keyfile", "is required for mqtts");

  ssl::context context(ssl::context::tls_server);
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // The transport reads ahead into OpenSSL's buffer (fewer system calls per record) and lets
  // OpenSSL free its buffers whenever they are empty, so idle connections hold none.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
  SSL_CTX_set_session_id_context(ctx, k_session_context, sizeof k_session_context - 1);

  load_certificate(ctx, settings.certfile);
  load_private_key(ctx, settings.keyfile, settings.certfile);
  load_client_cas(ctx, settings);
  set_ciphers(ctx, settings);
  SSL_CTX_set_verify(ctx, verify_mode(settings), nullptr);
  return std::make_shared<tls_profile>(std::move(context), settings.use_identity_as_username);
}

}  // namespace tern::net
