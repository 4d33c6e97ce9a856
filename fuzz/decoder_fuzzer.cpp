// libFuzzer target for the MQTT decoder.
//
// Input layout: one options byte, then a byte stream decoded packet after packet until the
// decoder needs more bytes or reports an error. The options byte:
//   bits 0-1  protocol level for decode_options::version: unset, 3 (3.1), 4 (3.1.1), 5 (5.0)
//   bits 2-5  index into k_max_sizes for decode_options::max_packet_size
//   bit  6    follow the level a decoded CONNECT announces, as a broker does
// Every complete packet must re-encode (encode() != 0), no longer than the original, and decode
// again to an equal value; the re-encoding must be canonical (encoding it again is identical).
// Asymmetries that are legitimate (MQTT 3.1/3.1.1 dropping properties and mapping reason codes,
// omitted v5 reason codes) disappear after the first decode, so they are not asserted against.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "codec/decoder.hpp"
#include "codec/encoder.hpp"
#include "codec/packets.hpp"
#include "codec/types.hpp"

namespace {

using namespace tern::codec;

constexpr std::uint32_t k_max_sizes[16] = {
    k_max_packet_size, 1, 2, 3, 5, 16, 64, 128, 129, 256, 1'024, 4'096, 16'386, 65'536, 200, 10,
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "decoder_fuzzer: %s\n", what);
  std::abort();
}

decode_options options_from(std::uint8_t byte) {
  decode_options o;
  switch (byte & 0x03u) {
    case 1:
      o.version = protocol_version::v3_1;
      break;
    case 2:
      o.version = protocol_version::v3_1_1;
      break;
    case 3:
      o.version = protocol_version::v5;
      break;
    default:
      break;
  }
  o.max_packet_size = k_max_sizes[(byte >> 2) & 0x0Fu];
  return o;
}

// Invariants of any decode_result.
void check_result(const decode_result& r, std::size_t input_size) {
  switch (r.status) {
    case decode_status::need_more:
      if (r.consumed != 0 || r.error != decode_error::none) fail("need_more with side results");
      break;
    case decode_status::error:
      if (r.error == decode_error::none) fail("error status without an error");
      // `consumed` is only meaningful when complete, but must never point past the input.
      if (r.consumed > input_size) fail("error with consumed past the input");
      break;
    case decode_status::complete:
      if (r.error != decode_error::none) fail("complete with an error");
      if (r.consumed < 2 || r.consumed > input_size) fail("consumed out of range");
      if (!r.type || *r.type != type_of(r.value)) fail("type does not match the packet");
      break;
  }
}

void check_round_trip(const decode_result& r, const decode_options& options,
                      std::span<const std::uint8_t> original) {
  const packet& p = r.value;
  // CONNECT is encoded at its own level; everything else at the connection's level.
  protocol_version level = options.version.value_or(protocol_version::v3_1_1);
  if (const auto* c = std::get_if<connect>(&p)) level = c->version;

  std::vector<std::uint8_t> wire;
  const std::size_t written = encode(p, level, wire);
  if (written == 0 || written != wire.size()) fail("encode refused a decoded packet");
  if (written > r.consumed) fail("re-encoding is longer than the original");

  // The re-encoding is never longer, so the size limit cannot bite; drop it anyway so that a
  // failure here can only be a codec asymmetry.
  decode_options again = options;
  again.max_packet_size = k_max_packet_size;
  const auto r2 = decode(wire, again);
  check_result(r2, wire.size());
  if (r2.status != decode_status::complete) fail("re-encoded packet does not decode");
  if (r2.consumed != wire.size()) fail("re-encoded packet decodes to a different length");
  if (!(r2.value == p)) fail("decode(encode(decode(x))) != decode(x)");
  if (r2.version != r.version) fail("re-encoded CONNECT announces another level");

  std::vector<std::uint8_t> wire2;
  encode(r2.value, level, wire2);
  if (wire2 != wire) fail("encoding is not canonical");

  // Any proper prefix of a complete packet needs more bytes: the body is only read once whole.
  const auto prefix = decode(original.first(r.consumed - 1), options);
  check_result(prefix, r.consumed - 1);
  if (prefix.status != decode_status::need_more) fail("a prefix of a packet did not need more");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  decode_options options = options_from(data[0]);
  const bool follow_connect = (data[0] & 0x40u) != 0;
  std::span<const std::uint8_t> stream(data + 1, size - 1);

  while (!stream.empty()) {
    const auto r = decode(stream, options);
    check_result(r, stream.size());
    if (r.status != decode_status::complete) break;
    check_round_trip(r, options, stream.first(r.consumed));
    if (follow_connect && r.version) options.version = r.version;
    stream = stream.subspan(r.consumed);
  }
  return 0;
}
