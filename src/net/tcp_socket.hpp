#pragma once
// The socket and timer types of a shard's event loop. They are bound to io_context's own
// executor, not to the type-erased any_io_executor: every connection holds a socket and a pending
// read, and the erased executor would add about 48 bytes to each socket and a work-tracking copy
// to each pending operation.

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

namespace tern::net {

using shard_executor = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, shard_executor>;
using shard_timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, shard_executor>;

}  // namespace tern::net
