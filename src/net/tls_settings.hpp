#pragma once
// What a TLS listener is configured with: certificate, key, trust anchors for client
// certificates, cipher lists and how a client certificate names the client. Plain data, read by
// the configuration loader and turned into an OpenSSL context by make_tls_context().

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tern::net {

// Which part of a client certificate becomes the MQTT username.
enum class identity_source : std::uint8_t {
  none,              // the username comes from CONNECT
  common_name,       // the subject's CN
  subject_alt_name,  // the first DNS, email or URI entry of subjectAltName, in certificate order
};

struct tls_settings {
  std::filesystem::path certfile;  // PEM: the server certificate, then its chain
  std::filesystem::path keyfile;   // PEM: the private key of the certificate
  std::filesystem::path cafile;    // PEM: CAs that sign client certificates
  std::filesystem::path capath;    // a directory of hashed CA certificates (c_rehash)
  std::string ciphers;             // TLS 1.2 cipher list; empty: OpenSSL's default
  std::string ciphersuites;        // TLS 1.3 cipher suites; empty: OpenSSL's default
  bool require_certificate = false;
  identity_source use_identity_as_username = identity_source::none;

  // The files (and CA directory) whose change calls for a new context.
  std::vector<std::filesystem::path> watched_paths() const {
    std::vector<std::filesystem::path> out{certfile, keyfile};
    if (!cafile.empty()) out.push_back(cafile);
    if (!capath.empty()) out.push_back(capath);
    return out;
  }
};

}  // namespace tern::net
