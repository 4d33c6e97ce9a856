#pragma once
// Builds the OpenSSL server context of a TLS listener from its settings: TLS 1.2 and 1.3 only,
// certificate chain and key (checked against each other), client-certificate verification, cipher
// lists. Used at configuration load (to validate), at start and on every certificate reload.
//
// Thread: any; a built context is immutable afterwards and shared by every connection accepted
// while it was current (OpenSSL contexts are safe to share across threads once configured).

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "net/tls_settings.hpp"

namespace tern::net {

// One generation of a listener's TLS credentials. A connection holds the generation it was
// accepted with for its whole life, so a reload never disturbs established connections.
struct tls_profile {
  explicit tls_profile(boost::asio::ssl::context ctx, identity_source source)
      : context(std::move(ctx)), identity(source) {}
  boost::asio::ssl::context context;
  identity_source identity;
};
using tls_profile_ptr = std::shared_ptr<tls_profile>;

// Names the setting at fault, so the configuration loader can point at its line.
class tls_setup_error : public std::runtime_error {
 public:
  tls_setup_error(std::string setting, const std::string& why)
      : std::runtime_error(why), setting_(std::move(setting)) {}
  const std::string& setting() const noexcept { return setting_; }

 private:
  std::string setting_;
};

// Throws tls_setup_error when a file is missing or unreadable, holds no usable PEM data, the key
// does not match the certificate, or a cipher list names nothing OpenSSL knows.
tls_profile_ptr make_tls_profile(const tls_settings& settings);

}  // namespace tern::net
