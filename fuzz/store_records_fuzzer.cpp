// libFuzzer target: the store's record decoders on arbitrary keys and values, as a damaged store
// would hand them over at start-up. Input: byte 0 picks the record kind, byte 1 the key length;
// the rest is the key, then the value. Whatever decodes must encode back to a record that
// decodes to the same thing (no field is lost or invented), and nothing may crash or leak.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/records.hpp"

namespace {

using namespace tern::storage;

template <typename Record>
void check_round_trip(const std::optional<Record>& decoded, const Record& again) {
  if (!(*decoded == again)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto kind = data[0] % 6;
  const std::size_t key_length = std::min<std::size_t>(data[1], size - 2);
  const std::string_view key(reinterpret_cast<const char*>(data + 2), key_length);
  const std::string_view value(reinterpret_cast<const char*>(data + 2 + key_length),
                               size - 2 - key_length);
  switch (kind) {
    case 0:
      if (auto r = decode_message(key, value)) {
        check_round_trip(r, *decode_message(keys::of_message(r->id), encode(*r)));
      }
      break;
    case 1:
      if (auto r = decode_entry(key, value)) {
        check_round_trip(r,
                         *decode_entry(keys::of_entry(r->session_id, r->message_id), encode(*r)));
      }
      break;
    case 2:
      if (auto r = decode_subscription(key, value)) {
        check_round_trip(
            r, *decode_subscription(keys::of_subscription(r->session_id, r->filter), encode(*r)));
      }
      break;
    case 3:
      if (auto r = decode_session(key, value)) {
        check_round_trip(r, *decode_session(keys::of_session(r->session_id), encode(*r)));
      }
      break;
    case 4:
      if (auto r = decode_inbound(key)) {
        check_round_trip(r, *decode_inbound(keys::of_inbound(r->session_id, r->packet_id)));
      }
      break;
    default:
      if (auto r = decode_retained(key, value)) {
        check_round_trip(r, *decode_retained(keys::of_retained(r->topic),
                                             encode_retained(r->message_id, r->seq)));
      }
      break;
  }
  return 0;
}
