#include "net/tls_stream.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>

#include "net/openssl_errors.hpp"
#include "net/tls_identity.hpp"

namespace tern::net {

namespace asio = boost::asio;
using boost::system::error_code;

tls_stream::tls_stream(tcp_socket socket, tls_profile_ptr profile)
    : socket_(std::move(socket)),
      profile_(std::move(profile)),
      ssl_(SSL_new(profile_->context.native_handle())) {
  if (!ssl_) throw std::runtime_error("SSL_new: " + take_openssl_errors());
  SSL_set_fd(ssl_.get(), socket_.native_handle());
  SSL_set_accept_state(ssl_.get());
}

tls_stream::tls_stream(tcp_socket socket, detached_tls state)
    : socket_(std::move(socket)), profile_(std::move(state.profile)), ssl_(std::move(state.ssl)) {
  // The descriptor keeps its number across shards, so the socket BIO still points at it.
}

bool tls_stream::handshake_done() const noexcept {
  return SSL_is_init_finished(ssl_.get()) == 1;
}

tls_stream::step tls_stream::after_failure(int result, error_code& ec) {
  const int error = SSL_get_error(ssl_.get(), result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return step::want_read;
    case SSL_ERROR_WANT_WRITE:
      return step::want_write;
    case SSL_ERROR_ZERO_RETURN:  // close_notify, or a plain EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
      ec = asio::error::eof;
      failure_ = "connection closed by client";
      return step::failed;
    case SSL_ERROR_SYSCALL:
      fatal_ = true;
      ec = errno != 0 ? error_code(errno, boost::system::system_category())
                      : error_code(asio::error::eof);
      failure_ = ec == asio::error::eof ? "connection closed by client" : ec.message();
      clear_openssl_errors();
      return step::failed;
    default: {
      fatal_ = true;
      ec = error_code(static_cast<int>(ERR_peek_error()), asio::error::get_ssl_category());
      failure_ = take_openssl_errors(fmt::format("OpenSSL error {}", error));
      const long verify = SSL_get_verify_result(ssl_.get());
      if (verify != X509_V_OK) {
        failure_ += fmt::format(" ({})", X509_verify_cert_error_string(verify));
      }
      return step::failed;
    }
  }
}

tls_stream::step tls_stream::handshake_step(error_code& ec) {
  clear_openssl_errors();
  errno = 0;
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) return step::done;
  return after_failure(result, ec);
}

std::size_t tls_stream::read_some(asio::mutable_buffer into, error_code& ec) {
  read_wants_write_ = false;
  clear_openssl_errors();
  errno = 0;
  std::size_t n = 0;
  const int result = SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
  if (result == 1) {
    ec = {};
    return n;
  }
  switch (after_failure(result, ec)) {
    case step::want_write:
      read_wants_write_ = true;
      [[fallthrough]];
    case step::want_read:
      ec = asio::error::would_block;
      break;
    case step::done:
    case step::failed:
      break;
  }
  return 0;
}

bool tls_stream::has_pending_input() const noexcept {
  return SSL_has_pending(ssl_.get()) == 1;
}

void tls_stream::stage_output(const std::vector<asio::const_buffer>& buffers) {
  std::size_t total = 0;
  for (const auto& b : buffers) total += b.size();
  output_.clear();
  output_.reserve(total);
  for (const auto& b : buffers) {
    const auto* bytes = static_cast<const std::uint8_t*>(b.data());
    output_.insert(output_.end(), bytes, bytes + b.size());
  }
  output_sent_ = 0;
}

tls_stream::step tls_stream::write_step(error_code& ec) {
  while (output_sent_ < output_.size()) {
    clear_openssl_errors();
    errno = 0;
    std::size_t n = 0;
    // After a "want" the call is repeated with the same arguments, as OpenSSL requires.
    const int result =
        SSL_write_ex(ssl_.get(), output_.data() + output_sent_, output_.size() - output_sent_, &n);
    if (result != 1) return after_failure(result, ec);
    output_sent_ += n;
  }
  return step::done;
}

void tls_stream::close() noexcept {
  if (ssl_ && !fatal_ && handshake_done()) {
    clear_openssl_errors();
    SSL_shutdown(ssl_.get());  // queues close_notify; a full socket simply loses it
    clear_openssl_errors();
  }
  error_code ec;
  socket_.shutdown(tcp_socket::shutdown_both, ec);
  socket_.close(ec);
}

detached_transport tls_stream::detach(error_code& ec) {
  detached_transport out;
  out.protocol = socket_.local_endpoint(ec).protocol();
  if (ec) return out;
  out.handle = socket_.release(ec);
  if (ec) return out;
  out.tls = detached_tls{std::move(ssl_), std::move(profile_)};
  return out;
}

std::optional<std::string> tls_stream::identity() const {
  if (profile_->identity == identity_source::none) return std::nullopt;
  return certificate_identity(ssl_.get(), profile_->identity);
}

std::string tls_stream::describe() const {
  return fmt::format("{} {}", SSL_get_version(ssl_.get()), SSL_get_cipher_name(ssl_.get()));
}

}  // namespace tern::net
