#pragma once
// The name a verified client certificate gives its client, for use_identity_as_username.

#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "net/tls_settings.hpp"

namespace tern::net {

// The subject's common name, or the first subjectAltName entry of type DNS, email or URI (in
// certificate order; IP addresses and other kinds are skipped). Nothing when the peer sent no
// certificate, the field is absent or empty, or it holds a NUL byte (a name forged to look like
// a shorter one).
std::optional<std::string> certificate_identity(const SSL* ssl, identity_source source);

}  // namespace tern::net
