#include "app/admin_client.hpp"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "app/version.hpp"

namespace tern::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Listings stop at 10,000 entries on the server; this leaves ample room above them.
constexpr std::uint64_t k_max_body = 64 * 1024 * 1024;

// The steps of one exchange as callbacks; `failure` says which step failed and why.
class exchange {
 public:
  exchange(asio::io_context& io, const admin_endpoint& endpoint,
           http::request<http::string_body> request)
      : endpoint_(endpoint), resolver_(io), stream_(io), request_(std::move(request)) {
    parser_.body_limit(k_max_body);
  }

  void start() {
    resolver_.async_resolve(
        endpoint_.host, std::to_string(endpoint_.port),
        [this](beast::error_code ec, const tcp::resolver::results_type& results) {
          if (ec) return fail(fmt::format("cannot resolve '{}': {}", endpoint_.host, ec.message()));
          stream_.async_connect(results, [this](beast::error_code ec2, const tcp::endpoint&) {
            if (ec2)
              return fail(
                  fmt::format("cannot connect to {}: {}", describe(endpoint_), ec2.message()));
            write();
          });
        });
  }

  bool done() const { return done_; }
  const std::optional<std::string>& failure() const { return failure_; }
  http::response<http::string_body> release() { return parser_.release(); }

 private:
  void write() {
    http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
      if (ec)
        return fail(fmt::format("{} closed the connection before taking the request: {}",
                                describe(endpoint_), ec.message()));
      http::async_read(stream_, buffer_, parser_, [this](beast::error_code ec2, std::size_t) {
        if (ec2)
          return fail(
              fmt::format("no valid HTTP answer from {}: {}", describe(endpoint_), ec2.message()));
        done_ = true;
      });
    });
  }

  void fail(std::string why) {
    failure_ = std::move(why);
    done_ = true;
  }

  const admin_endpoint& endpoint_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool done_ = false;
  std::optional<std::string> failure_;
};

}  // namespace

std::string describe(const admin_endpoint& endpoint) {
  if (endpoint.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", endpoint.host, endpoint.port);
  }
  return fmt::format("{}:{}", endpoint.host, endpoint.port);
}

admin_response call_admin(const admin_endpoint& endpoint, const api_request& request,
                          const std::string& authorization, std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, describe(endpoint));
  req.set(http::field::user_agent, std::string("tern-ctl/") + k_version);
  req.set(http::field::accept, "application/json");
  req.keep_alive(false);
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  if (!request.body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = request.body;
  }
  req.prepare_payload();

  asio::io_context io{1};
  exchange call(io, endpoint, std::move(req));
  call.start();
  // One deadline for every step; what is still pending then is cancelled when `call` goes.
  io.run_for(timeout);
  if (!call.done()) {
    throw admin_call_error(fmt::format("no answer from {} within {:.3g} s", describe(endpoint),
                                       std::chrono::duration<double>(timeout).count()));
  }
  if (call.failure()) throw admin_call_error(*call.failure());
  auto res = call.release();
  return {static_cast<unsigned>(res.result_int()), std::move(res.body())};
}

}  // namespace tern::app
