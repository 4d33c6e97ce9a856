// libFuzzer target: the PROXY protocol header parser on arbitrary first bytes of a connection.
// Beyond "no crash": a complete header never claims more bytes than it was given nor more than
// the bound, and parsing a prefix of a complete header never reports it complete or invalid.

#include <cstdint>
#include <cstdlib>
#include <span>

#include "net/proxy_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tern::net;
  const std::span<const std::uint8_t> input(data, size);
  const auto r = parse_proxy_header(input);
  if (r.status != proxy_parse_status::complete) return 0;
  const auto length = r.header.length;
  if (length == 0 || length > size || length > k_max_proxy_header) std::abort();
  // The header alone parses to the same thing.
  const auto alone = parse_proxy_header(input.first(length));
  if (alone.status != proxy_parse_status::complete || alone.header.length != length ||
      alone.header.source != r.header.source ||
      alone.header.verified_common_name != r.header.verified_common_name) {
    std::abort();
  }
  if (parse_proxy_header(input.first(length - 1)).status != proxy_parse_status::need_more) {
    std::abort();
  }
  return 0;
}
