#include "net/tls_identity.hpp"

#include <openssl/x509v3.h>

#include <string_view>

namespace tern::net {

namespace {

std::optional<std::string> checked(std::string_view text) {
  if (text.empty() || text.find('\0') != std::string_view::npos) return std::nullopt;
  return std::string(text);
}

std::optional<std::string> common_name(const X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return std::nullopt;
  auto out = checked({reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length)});
  OPENSSL_free(utf8);
  return out;
}

std::optional<std::string> first_alt_name(const X509* cert) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return std::nullopt;
  std::optional<std::string> out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    const ASN1_IA5STRING* text = nullptr;
    if (name->type == GEN_DNS) text = name->d.dNSName;
    if (name->type == GEN_EMAIL) text = name->d.rfc822Name;
    if (name->type == GEN_URI) text = name->d.uniformResourceIdentifier;
    if (text == nullptr) continue;
    out = checked({reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                   static_cast<std::size_t>(ASN1_STRING_length(text))});
    break;  // the first name of these kinds decides, even when it is unusable
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace

std::optional<std::string> certificate_identity(const SSL* ssl, identity_source source) {
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  switch (source) {
    case identity_source::common_name:
      return common_name(cert);
    case identity_source::subject_alt_name:
      return first_alt_name(cert);
    case identity_source::none:
      break;
  }
  return std::nullopt;
}

}  // namespace tern::net
