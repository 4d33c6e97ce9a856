#include "storage/records.hpp"

#include <cstring>
#include <span>

#include "codec/byte_reader.hpp"
#include "codec/byte_writer.hpp"
#include "codec/property_codec.hpp"

namespace tern::storage {

namespace {

using codec::detail::byte_reader;
using codec::detail::property_context;

constexpr std::uint8_t k_record_version = 1;

// Appends fixed-width big-endian fields to a record.
class record_writer {
 public:
  explicit record_writer(bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { big_endian(v); }
  void u32(std::uint32_t v) { big_endian(v); }
  void u64(std::uint64_t v) { big_endian(v); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void text(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void blob(std::span<const std::uint8_t> b) {
    u32(static_cast<std::uint32_t>(b.size()));
    out_.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void props(const codec::properties* p) {
    if (p == nullptr || p->empty()) {
      u8(0);  // the length of an empty property block
      return;
    }
    props(*p);
  }
  void props(const codec::properties& p) {
    std::vector<std::uint8_t> encoded;
    codec::detail::byte_writer w(encoded);
    codec::detail::write_properties(w, p);
    out_.append(reinterpret_cast<const char*>(encoded.data()), encoded.size());
  }

 private:
  // One append per field: records are written on the publish path.
  template <typename Unsigned>
  void big_endian(Unsigned v) {
    char field[sizeof v];
    for (std::size_t i = 0; i < sizeof v; ++i) {
      field[i] = static_cast<char>(v >> (8 * (sizeof v - 1 - i)));
    }
    out_.append(field, sizeof field);
  }

  bytes& out_;
};

// Reads what record_writer wrote; failures latch in the underlying byte_reader.
class record_reader {
 public:
  explicit record_reader(std::string_view data)
      : in_(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())) {}
  std::uint8_t u8() { return in_.u8(); }
  std::uint16_t u16() { return in_.u16(); }
  std::uint32_t u32() { return in_.u32(); }
  std::uint64_t u64() {
    const std::uint64_t high = in_.u32();
    return (high << 32) | in_.u32();
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string text() {
    const auto raw = in_.bytes(in_.u32());
    return std::string(raw.begin(), raw.end());
  }
  codec::binary blob() {
    const auto raw = in_.bytes(in_.u32());
    return codec::binary(raw.begin(), raw.end());
  }
  codec::properties props(property_context context) {
    codec::properties p;
    codec::detail::read_properties(in_, context, p);
    return p;
  }
  bool ok_and_done() const { return !in_.failed() && in_.at_end(); }
  bool at_end() const { return in_.at_end(); }
  bool failed() const { return in_.failed(); }

 private:
  byte_reader in_;
};

std::uint64_t read_id(std::string_view key, std::size_t offset) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(key[offset + i]);
  }
  return v;
}

bytes key_with_id(char kind, std::uint64_t id) {
  bytes key(1, kind);
  record_writer(key).u64(id);
  return key;
}

bool valid_qos(std::uint8_t q) {
  return q <= 2;
}

std::uint8_t pack_options(const codec::subscription_options& o) {
  return static_cast<std::uint8_t>(static_cast<unsigned>(o.max_qos) | (o.no_local ? 4u : 0u) |
                                   (o.retain_as_published ? 8u : 0u) |
                                   (static_cast<unsigned>(o.retain) << 4));
}

}  // namespace

namespace keys {

bytes of_message(std::uint64_t id) {
  return key_with_id(message, id);
}

fixed_entry_key entry_key(std::uint64_t session_id, std::uint64_t message_id) {
  fixed_entry_key key;
  key[0] = entry;
  for (std::size_t i = 0; i < 8; ++i) {
    key[1 + i] = static_cast<char>(session_id >> (56 - 8 * i));
    key[9 + i] = static_cast<char>(message_id >> (56 - 8 * i));
  }
  return key;
}

bytes of_entry(std::uint64_t session_id, std::uint64_t message_id) {
  const auto key = entry_key(session_id, message_id);
  return bytes(key_view(key));
}

bytes of_paged(std::uint64_t session_id, std::uint64_t seq) {
  auto key = key_with_id(paged, session_id);
  record_writer(key).u64(seq);
  return key;
}

bytes of_subscription(std::uint64_t session_id, std::string_view filter) {
  auto key = key_with_id(subscription, session_id);
  key.append(filter);
  return key;
}

bytes of_inbound(std::uint64_t session_id, std::uint16_t packet_id) {
  auto key = key_with_id(inbound, session_id);
  record_writer(key).u16(packet_id);
  return key;
}

bytes of_retained(std::string_view topic) {
  bytes key(1, retained);
  key.append(topic);
  return key;
}

bytes of_session(std::uint64_t session_id) {
  return key_with_id(session, session_id);
}

bool ends_in_id(std::string_view key) {
  if (key.empty()) return false;
  switch (key.front()) {
    case message:
    case session:
      return key.size() == 1 + 8;
    case entry:
    case paged:
      return key.size() == 1 + 8 + 8;
    default:
      return false;
  }
}

std::pair<bytes, bytes> session_range(char kind, std::uint64_t session_id) {
  return {key_with_id(kind, session_id), key_with_id(kind, session_id + 1)};
}

}  // namespace keys

namespace {

message_view view_of(const message_record& r) {
  return message_view{r.origin_session, r.qos_level, r.retain, r.expires_at_ms,
                      r.topic,          r.payload,   &r.props};
}

void write_message_body(record_writer& w, const message_view& m) {
  w.u8(k_record_version);
  w.u64(m.origin_session);
  w.u8(static_cast<std::uint8_t>(m.qos_level));
  w.u8(m.retain ? 1 : 0);
  w.i64(m.expires_at_ms);
  w.text(m.topic);
  w.blob(m.payload);
  w.props(m.props);
}

// Reads what write_message_body wrote; false on damage.
bool read_message_body(record_reader& in, message_record& r) {
  if (in.u8() != k_record_version) return false;
  r.origin_session = in.u64();
  const auto q = in.u8();
  r.retain = in.u8() != 0;
  r.expires_at_ms = in.i64();
  r.topic = in.text();
  r.payload = in.blob();
  r.props = in.props(property_context::publish);
  if (in.failed() || !valid_qos(q)) return false;
  r.qos_level = static_cast<codec::qos>(q);
  return true;
}

}  // namespace

void encode_message(const message_view& message, bytes& out) {
  record_writer w(out);
  write_message_body(w, message);
}

bytes encode(const message_record& r) {
  bytes out;
  out.reserve(64 + r.topic.size() + r.payload.size());
  encode_message(view_of(r), out);
  return out;
}

std::optional<message_record> decode_message(std::string_view key, std::string_view value) {
  if (key.size() != 9) return std::nullopt;
  record_reader in(value);
  message_record r;
  r.id = read_id(key, 1);
  if (!read_message_body(in, r) || !in.ok_and_done()) return std::nullopt;
  return r;
}

void encode_entry(const entry_view& e, bytes& out) {
  record_writer w(out);
  w.u8(static_cast<std::uint8_t>(e.qos_level));
  w.u8(static_cast<std::uint8_t>((e.retain ? 1 : 0) | (e.pubrec_received ? 2 : 0) |
                                 (e.message != nullptr ? 4 : 0)));
  w.u16(e.packet_id);
  w.text(e.shared_filter);
  w.u32(static_cast<std::uint32_t>(e.subscription_ids.size()));
  for (const auto id : e.subscription_ids) w.u32(id);
  if (e.message != nullptr) write_message_body(w, *e.message);
}

namespace {
// Calls fn(const entry_view&) for the record.
template <typename Fn>
void with_view(const entry_record& r, Fn&& fn) {
  const auto message = r.message ? std::optional(view_of(*r.message)) : std::nullopt;
  fn(entry_view{r.qos_level, r.retain, r.packet_id, r.pubrec_received, r.subscription_ids,
                r.shared_filter, message ? &*message : nullptr});
}
}  // namespace

bytes encode(const entry_record& r) {
  bytes out;
  with_view(r, [&out](const entry_view& e) { encode_entry(e, out); });
  return out;
}

std::optional<entry_record> decode_entry(std::string_view key, std::string_view value) {
  if (key.size() != 17) return std::nullopt;
  record_reader in(value);
  entry_record r;
  r.session_id = read_id(key, 1);
  r.message_id = read_id(key, 9);
  const auto q = in.u8();
  const auto flags = in.u8();
  r.retain = (flags & 1) != 0;
  r.pubrec_received = (flags & 2) != 0;
  r.packet_id = in.u16();
  r.shared_filter = in.text();
  const auto count = in.u32();
  for (std::uint32_t i = 0; i < count && !in.failed(); ++i) r.subscription_ids.push_back(in.u32());
  if ((flags & 4) != 0) {
    message_record m;
    m.id = r.message_id;
    if (!read_message_body(in, m)) return std::nullopt;
    r.message = std::move(m);
  }
  if ((flags & ~7) != 0 || !in.ok_and_done() || q == 0 || !valid_qos(q)) return std::nullopt;
  r.qos_level = static_cast<codec::qos>(q);
  return r;
}

void encode_paged(std::uint64_t message_id, const entry_view& entry, bytes& out) {
  record_writer(out).u64(message_id);
  encode_entry(entry, out);
}

bytes encode(const paged_record& r) {
  bytes out;
  with_view(r.entry, [&](const entry_view& e) { encode_paged(r.entry.message_id, e, out); });
  return out;
}

std::optional<paged_record> decode_paged(std::string_view key, std::string_view value) {
  if (key.size() != 17 || value.size() < 8) return std::nullopt;
  paged_record r;
  r.seq = read_id(key, 9);
  const auto session_id = read_id(key, 1);
  const auto message_id = read_id(value, 0);
  auto entry = decode_entry(keys::of_entry(session_id, message_id), value.substr(8));
  if (!entry) return std::nullopt;
  r.entry = std::move(*entry);
  return r;
}

bytes encode(const subscription_record& r) {
  bytes out;
  record_writer w(out);
  w.u8(pack_options(r.options));
  w.u8(r.identifier ? 1 : 0);
  w.u32(r.identifier.value_or(0));
  return out;
}

std::optional<subscription_record> decode_subscription(std::string_view key,
                                                       std::string_view value) {
  if (key.size() < 10) return std::nullopt;
  record_reader in(value);
  subscription_record r;
  r.session_id = read_id(key, 1);
  r.filter = std::string(key.substr(9));
  const auto packed = in.u8();
  const bool has_id = in.u8() != 0;
  const auto id = in.u32();
  if (!in.ok_and_done() || !valid_qos(packed & 3) || (packed >> 4) > 2) return std::nullopt;
  r.options.max_qos = static_cast<codec::qos>(packed & 3);
  r.options.no_local = (packed & 4) != 0;
  r.options.retain_as_published = (packed & 8) != 0;
  r.options.retain = static_cast<codec::retain_handling>(packed >> 4);
  if (has_id) r.identifier = id;
  return r;
}

bytes encode(const session_record& r) {
  bytes out;
  record_writer w(out);
  w.u8(k_record_version);
  w.text(r.client_id);
  w.u8(static_cast<std::uint8_t>(r.version));
  w.u32(r.expiry_interval);
  w.i64(r.expires_at_ms);
  w.i64(r.will_at_ms);
  w.u8(r.will ? 1 : 0);
  if (r.will) {
    w.text(r.will->topic);
    w.blob(r.will->payload);
    w.u8(static_cast<std::uint8_t>(r.will->qos_level));
    w.u8(r.will->retain ? 1 : 0);
    w.props(r.will->props);
  }
  // Optional trailing field (older records end before it): 1 anonymous, 2 a username follows.
  if (r.identity_known) {
    w.u8(r.username ? 2 : 1);
    if (r.username) w.text(*r.username);
  }
  return out;
}

std::optional<session_record> decode_session(std::string_view key, std::string_view value) {
  if (key.size() != 9) return std::nullopt;
  record_reader in(value);
  session_record r;
  r.session_id = read_id(key, 1);
  if (in.u8() != k_record_version) return std::nullopt;
  r.client_id = in.text();
  const auto version = in.u8();
  r.expiry_interval = in.u32();
  r.expires_at_ms = in.i64();
  r.will_at_ms = in.i64();
  if (in.u8() != 0) {
    codec::will_message will;
    will.topic = in.text();
    will.payload = in.blob();
    const auto q = in.u8();
    will.retain = in.u8() != 0;
    will.props = in.props(property_context::will);
    if (!valid_qos(q)) return std::nullopt;
    will.qos_level = static_cast<codec::qos>(q);
    r.will = std::move(will);
  }
  if (!in.failed() && !in.at_end()) {
    const auto identity = in.u8();
    if (identity == 2) r.username = in.text();
    if (identity != 1 && identity != 2) return std::nullopt;
    r.identity_known = true;
  }
  if (!in.ok_and_done() || version < 3 || version > 5) return std::nullopt;
  r.version = static_cast<codec::protocol_version>(version);
  return r;
}

std::optional<inbound_record> decode_inbound(std::string_view key) {
  if (key.size() != 11) return std::nullopt;
  return inbound_record{read_id(key, 1),
                        static_cast<std::uint16_t>((static_cast<std::uint8_t>(key[9]) << 8) |
                                                   static_cast<std::uint8_t>(key[10]))};
}

bytes encode_retained(std::uint64_t message_id, std::uint64_t seq) {
  bytes out;
  record_writer w(out);
  w.u64(message_id);
  w.u64(seq);
  return out;
}

std::optional<retained_record> decode_retained(std::string_view key, std::string_view value) {
  if (key.size() < 2 || value.size() != 16) return std::nullopt;
  return retained_record{std::string(key.substr(1)), read_id(value, 0), read_id(value, 8)};
}

std::string_view newer_retained(std::string_view a, std::string_view b) {
  const auto seq = [](std::string_view v) -> std::uint64_t {
    return v.size() == 16 ? read_id(v, 8) : 0;
  };
  return seq(b) > seq(a) ? b : a;
}

}  // namespace tern::storage
