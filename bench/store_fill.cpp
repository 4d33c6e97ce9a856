// tern-store-fill: writes a store as a loaded broker would leave it, to measure start-up time
// with large stores: N retained messages and M persistent sessions, each with a subscription
// and K queued QoS 1 messages (each message shared by all sessions that queue it, as when
// published once to many subscribers).
//
//   tern-store-fill DIR --retained 1000000 --sessions 100000 --queued 10 --size 64

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "storage/records.hpp"
#include "storage/rocksdb_backend.hpp"
#include "storage/write_batch.hpp"

namespace {

using namespace tern::storage;

constexpr std::size_t k_batch = 10'000;

void flush(rocksdb_backend& store, write_batch& batch) {
  if (batch.empty()) return;
  if (const auto status = store.write(batch, durability::os); !status.ok) {
    throw std::runtime_error(status.message);
  }
  batch.clear();
}

message_record make_message(std::uint64_t id, std::string topic, std::size_t size, bool retain) {
  message_record m;
  m.id = id;
  m.topic = std::move(topic);
  m.payload.assign(size, static_cast<std::uint8_t>('x'));
  m.qos_level = tern::codec::qos::at_least_once;
  m.retain = retain;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fills a Tern store for start-up measurements"};
  std::string directory;
  std::size_t retained = 1'000'000;
  std::size_t sessions = 100'000;
  std::size_t queued = 10;
  std::size_t size = 64;
  app.add_option("dir", directory, "Data directory (created)")->required();
  app.add_option("--retained", retained, "Retained topics")->capture_default_str();
  app.add_option("--sessions", sessions, "Persistent sessions")->capture_default_str();
  app.add_option("--queued", queued, "Queued messages per session")->capture_default_str();
  app.add_option("--size", size, "Payload bytes")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto started = std::chrono::steady_clock::now();
  rocksdb_backend store(directory);
  write_batch batch;
  std::uint64_t next_id = 1;
  for (std::size_t i = 0; i < retained; ++i) {
    const auto id = next_id++;
    auto topic = fmt::format("site/{}/device/{}/state", i / 1000, i % 1000);
    batch.put(keys::of_retained(topic), encode_retained(id, id));
    batch.put(keys::of_message(id), encode(make_message(id, std::move(topic), size, true)));
    if (batch.size() >= k_batch) flush(store, batch);
  }
  // The queued messages: `queued` messages, each queued for every session.
  std::vector<std::uint64_t> message_ids;
  for (std::size_t k = 0; k < queued; ++k) {
    const auto id = next_id++;
    message_ids.push_back(id);
    batch.put(keys::of_message(id),
              encode(make_message(id, fmt::format("alerts/{}", k), size, false)));
  }
  for (std::size_t s = 0; s < sessions; ++s) {
    session_record r;
    r.session_id = next_id++;
    r.client_id = fmt::format("fill-client-{}", s);
    r.version = tern::codec::protocol_version::v5;
    r.expiry_interval = 7 * 24 * 3600;
    r.expires_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(24))
            .count();
    batch.put(keys::of_session(r.session_id), encode(r));
    subscription_record sub;
    sub.session_id = r.session_id;
    sub.filter = "alerts/#";
    sub.options.max_qos = tern::codec::qos::at_least_once;
    batch.put(keys::of_subscription(r.session_id, sub.filter), encode(sub));
    for (const auto id : message_ids) {
      entry_record e;
      e.session_id = r.session_id;
      e.message_id = id;
      batch.put(keys::of_entry(r.session_id, id), encode(e));
    }
    if (batch.size() >= k_batch) flush(store, batch);
  }
  flush(store, batch);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  fmt::print("wrote {} retained, {} sessions x {} queued messages in {} ms; store {} MiB\n",
             retained, sessions, queued, elapsed.count(), store.disk_usage() >> 20);
  return 0;
}
