#pragma once
// The PROXY protocol header (versions 1 and 2) that load balancers such as HAProxy send before
// the client's own bytes, carrying the client's address and, when the balancer terminated TLS,
// facts about the client certificate. I/O-free: fed the first bytes of a connection.

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace tern::net {

struct proxy_header {
  // The client as the balancer saw it; empty for LOCAL (v2) and UNKNOWN (v1) headers, whose
  // connections are the balancer's own (health checks): the socket's address stands.
  std::optional<boost::asio::ip::tcp::endpoint> source;
  // v2 PP2_TYPE_SSL: the common name of a client certificate the balancer verified.
  std::optional<std::string> verified_common_name;
  std::size_t length = 0;  // bytes of the header, to drop before the client's bytes
};

enum class proxy_parse_status : std::uint8_t { complete, need_more, invalid };

struct proxy_parse_result {
  proxy_parse_status status = proxy_parse_status::need_more;
  proxy_header header;  // complete only
  std::string error;    // invalid only: why, for the log
};

// The longest header accepted: v1 is at most 107 bytes; v2 carries TLVs of up to 64 KiB, but
// what balancers send fits in far less, and a connection may not make Tern buffer more.
inline constexpr std::size_t k_max_proxy_header = 1024;

// Parses the header at the start of `data` (all bytes received so far).
proxy_parse_result parse_proxy_header(std::span<const std::uint8_t> data);

}  // namespace tern::net
