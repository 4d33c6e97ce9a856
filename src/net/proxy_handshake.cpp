#include "net/proxy_handshake.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "net/client_origin.hpp"

namespace tern::net {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

class proxy_header_reader : public std::enable_shared_from_this<proxy_header_reader> {
 public:
  proxy_header_reader(tcp_socket socket, proxy_header_handler on_header,
                      proxy_failure_handler on_failure)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        on_header_(std::move(on_header)),
        on_failure_(std::move(on_failure)) {
    error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    if (!ec) peer_ = describe_endpoint(remote);
  }

  void start(std::chrono::milliseconds timeout) {
    error_code ec;
    socket_.non_blocking(true, ec);
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](error_code wait_ec) {
      if (wait_ec || self->done_) return;
      self->timed_out_ = true;
      error_code cancel_ec;
      self->socket_.cancel(cancel_ec);
    });
    wait();
  }

 private:
  void wait() {
    socket_.async_wait(tcp_socket::wait_read,
                       [self = shared_from_this()](error_code ec) { self->on_readable(ec); });
  }

  void on_readable(error_code ec) {
    if (ec) {
      return fail(timed_out_ ? "no complete PROXY protocol header before the connect timeout"
                             : ec.message());
    }
    // Look without consuming: the bytes behind the header belong to the next layer.
    std::array<std::uint8_t, k_max_proxy_header> peeked{};
    const auto room = k_max_proxy_header - received_.size();
    const auto n = socket_.receive(asio::buffer(peeked.data(), room), tcp_socket::message_peek, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return wait();
    if (ec || n == 0) return fail(ec ? ec.message() : "closed before the PROXY protocol header");
    std::vector<std::uint8_t> seen = received_;
    seen.insert(seen.end(), peeked.begin(), peeked.begin() + static_cast<std::ptrdiff_t>(n));
    auto result = parse_proxy_header(seen);
    if (result.status == proxy_parse_status::invalid) {
      return fail(fmt::format("invalid PROXY protocol header: {}", result.error));
    }
    // Incomplete: every byte seen so far is header, so all of it may be consumed. Complete:
    // exactly the rest of the header.
    const auto take =
        result.status == proxy_parse_status::complete ? result.header.length - received_.size() : n;
    std::vector<std::uint8_t> consumed(take);
    asio::read(socket_, asio::buffer(consumed), ec);
    if (ec) return fail(ec.message());
    received_.insert(received_.end(), consumed.begin(), consumed.end());
    if (result.status == proxy_parse_status::need_more) {
      if (received_.size() >= k_max_proxy_header) {
        return fail("PROXY protocol header longer than 1024 bytes");
      }
      return wait();
    }
    done_ = true;
    timer_.cancel();
    on_header_(std::move(socket_), std::move(result.header));
  }

  void fail(const std::string& why) {
    done_ = true;
    timer_.cancel();
    spdlog::warn("connection from {} closed: {}", peer_.empty() ? "unknown" : peer_, why);
    on_failure_(socket_);
  }

  tcp_socket socket_;
  asio::steady_timer timer_;
  proxy_header_handler on_header_;
  proxy_failure_handler on_failure_;
  std::vector<std::uint8_t> received_;  // header bytes consumed so far
  std::string peer_;                    // the balancer's address
  bool done_ = false;
  bool timed_out_ = false;
};

}  // namespace

void read_proxy_header(tcp_socket socket, std::chrono::milliseconds timeout,
                       proxy_header_handler on_header, proxy_failure_handler on_failure) {
  std::make_shared<proxy_header_reader>(std::move(socket), std::move(on_header),
                                        std::move(on_failure))
      ->start(timeout);
}

}  // namespace tern::net
