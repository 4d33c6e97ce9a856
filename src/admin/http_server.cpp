#include "admin/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

namespace tern::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr auto k_request_timeout = std::chrono::seconds(30);
}

class http_server::connection : public std::enable_shared_from_this<connection> {
 public:
  connection(asio::ip::tcp::socket socket, const http_handler& handler)
      : stream_(std::move(socket)), handler_(handler) {
    boost::system::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  void start() { read(); }
  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(k_max_header);
    parser_->body_limit(k_max_body);
    stream_.expires_after(k_request_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      http_response res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "text/plain");
      res.body() = "request too large\n";
      res.keep_alive(false);
      spdlog::info("admin HTTP: request from {} too large: {}", peer_, ec.message());
      return write(std::move(res));
    }
    if (ec) return close();  // closed, timed out or not HTTP: nothing to answer
    stream_.expires_never();
    request_ = parser_->release();
    handler_(request_, peer_,
             [self = shared_from_this()](http_response&& res) { self->write(std::move(res)); });
  }

  void write(http_response&& res) {
    response_ = std::move(res);
    response_.version(11);
    if (!request_.keep_alive()) response_.keep_alive(false);
    response_.prepare_payload();
    stream_.expires_after(k_request_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec || !self->response_.keep_alive()) return self->close();
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  const http_handler& handler_;
  std::string peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http_request request_;
  http_response response_;
};

http_server::http_server(asio::io_context& control, const asio::ip::tcp::endpoint& endpoint,
                         http_handler handler)
    : control_(control), acceptor_(control, endpoint), handler_(std::move(handler)) {}

http_server::~http_server() {
  stop();
}

asio::ip::tcp::endpoint http_server::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void http_server::start() {
  accept();
}

void http_server::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : open_) {
    if (auto c = weak.lock()) c->close();
  }
  open_.clear();
}

void http_server::accept() {
  acceptor_.async_accept(
      control_, [this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
        if (stopped_) return;
        if (!ec) {
          std::erase_if(open_, [](const std::weak_ptr<connection>& w) { return w.expired(); });
          if (open_.size() >= k_max_connections) {
            spdlog::warn("admin HTTP: {} connections open; closing a new one", open_.size());
          } else {
            auto c = std::make_shared<connection>(std::move(socket), handler_);
            open_.push_back(c);
            c->start();
          }
        } else if (ec == asio::error::operation_aborted) {
          return;
        } else {
          spdlog::warn("admin HTTP: accept failed: {}", ec.message());
        }
        accept();
      });
}

}  // namespace tern::admin
