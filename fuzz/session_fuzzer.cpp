// libFuzzer target for the Sans-I/O session and the broker core together. Up to four clients
// share one shard core. The first input byte picks the protocol level each client connects with
// (a valid CONNECT is sent for it first so the fuzzer starts from the connected state) and a few
// settings; the rest is a sequence of records [client, length, bytes...] fed to that client,
// with the clock moving forward between records so keep-alive, wills and expiry also run.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "codec/encoder.hpp"
#include "core/shard_core.hpp"
#include "protocol/session.hpp"

namespace {

using namespace tern;

struct no_links final : core::shard_links {
  void post_deliveries(std::size_t, std::vector<core::remote_delivery>&&) override {}
  void schedule_outbox_flush(std::size_t) override {}
  void commit(std::size_t, storage::write_batch&&, std::uint64_t) override {}
};

codec::protocol_version version_of(unsigned bits) {
  switch (bits % 3) {
    case 0:
      return codec::protocol_version::v3_1_1;
    case 1:
      return codec::protocol_version::v5;
    default:
      return codec::protocol_version::v3_1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t setup = data[0];
  std::span<const std::uint8_t> rest(data + 1, size - 1);

  protocol::session_settings settings;
  settings.max_packet_size = 4096;
  settings.receive_maximum = 4;
  settings.max_inflight = 3;
  settings.topic_alias_maximum = 4;
  settings.max_queued_messages = 8;
  settings.queue_policy = (setup & 0x80) ? protocol::queue_full_policy::drop_oldest
                                         : protocol::queue_full_policy::drop_new;
  core::broker_shared shared;
  shared.settings = settings;
  no_links links;
  auto core = std::make_unique<core::shard_core>(0, shared, links);

  auto now = protocol::time_point{} + std::chrono::hours(1);
  constexpr std::size_t k_clients = 4;
  std::array<std::optional<protocol::session>, k_clients> clients;
  std::array<std::vector<std::uint8_t>, k_clients> pending;
  for (std::size_t i = 0; i < k_clients; ++i) {
    clients[i].emplace(settings, *core, now);
    if ((setup >> i) & 1u) continue;  // this client starts raw, without a CONNECT
    codec::connect c;
    c.version = version_of(setup >> 4);
    c.client_id = "c" + std::to_string(i % 3);  // two clients share an id: takeover
    c.clean_start = (i % 2) == 0;
    c.keep_alive = 5;
    if (c.version == codec::protocol_version::v5) c.props.session_expiry_interval = 30;
    std::vector<std::uint8_t> bytes;
    codec::encode(c, c.version, bytes);
    clients[i]->on_bytes(bytes, now);
  }

  while (rest.size() >= 2) {
    const std::size_t who = rest[0] % k_clients;
    const std::size_t length = std::min<std::size_t>(rest[1], rest.size() - 2);
    now += std::chrono::milliseconds(rest[0] * 40);
    auto chunk = rest.subspan(2, length);
    rest = rest.subspan(2 + length);

    auto& s = clients[who];
    if (!s || s->wants_close()) {
      s.reset();
      s.emplace(settings, *core, now);  // a new connection in this slot
      pending[who].clear();
    }
    auto& buffer = pending[who];
    buffer.insert(buffer.end(), chunk.begin(), chunk.end());
    const auto used = s->on_bytes(buffer, now);
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(used));
    for (auto& c : clients) {
      if (c) {
        c->on_timer(now);
        (void)c->take_output();
      }
    }
    core->tick(now);
    if (buffer.size() > settings.max_packet_size + 8) __builtin_trap();  // never unbounded
  }
  for (auto& c : clients) c.reset();
  now += std::chrono::hours(24 * 15);  // past the longest session expiry (14 days)
  core->tick(now);
  if (core->session_count() != 0) __builtin_trap();  // every session expired or ended
  return 0;
}
