// Packet identifiers of stored messages across a restart: a QoS 1 message is sent with the
// identifier its store id gives, so its entry needs no write per delivery; the entry names an
// identifier only when another one was used. At start-up each queue entry gets back the
// identifier it may have been sent with, and paged entries (never sent) none.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <unordered_set>
#include <vector>

#include "core/journal.hpp"
#include "core/recovery.hpp"
#include "core/shard_core.hpp"
#include "storage/group_committer.hpp"
#include "storage/memory_backend.hpp"
#include "storage/snapshot.hpp"

namespace tern::core {
namespace {

using namespace std::chrono_literals;
using codec::qos;
using protocol::stored_packet_id;

const auto k_now = protocol::time_point{} + 1h;

struct no_links final : shard_links {
  void post_deliveries(std::size_t, std::vector<remote_delivery>&&) override {}
  void schedule_outbox_flush(std::size_t) override {}
  void commit(std::size_t, storage::write_batch&&, std::uint64_t) override {}
};

TEST(stored_packet_id, maps_store_ids_onto_1_to_65535) {
  EXPECT_EQ(stored_packet_id(0), 1);
  EXPECT_EQ(stored_packet_id(1), 2);
  EXPECT_EQ(stored_packet_id(65'534), 65'535);
  EXPECT_EQ(stored_packet_id(65'535), 1);
  EXPECT_EQ(stored_packet_id(std::numeric_limits<std::uint64_t>::max()),
            1 + std::numeric_limits<std::uint64_t>::max() % 65'535);
  // Consecutive messages never share one: a collision needs a message still in flight 65,535
  // store ids later.
  std::unordered_set<std::uint16_t> seen;
  for (std::uint64_t id = 1'000'000; id < 1'000'000 + 65'535; ++id) {
    const auto packet_id = stored_packet_id(id);
    EXPECT_NE(packet_id, 0);
    EXPECT_TRUE(seen.insert(packet_id).second);
  }
}

storage::entry_record entry(std::uint64_t message_id, qos level, std::uint16_t packet_id) {
  storage::entry_record e;
  e.session_id = 1;
  e.message_id = message_id;
  e.qos_level = level;
  e.packet_id = packet_id;
  storage::message_record m;
  m.id = message_id;
  m.topic = "t";
  m.qos_level = level;
  e.message = m;  // the message travels in its only entry
  return e;
}

TEST(stored_packet_id, restored_queue_entries_take_the_identifier_they_may_have_been_sent_with) {
  broker_shared shared;
  no_links links;
  shard_core core(0, shared, links);
  storage::snapshot snap;
  storage::session_record session;
  session.session_id = 1;
  session.client_id = "c";
  session.version = codec::protocol_version::v3_1_1;
  session.expiry_interval = 0xFFFF'FFFF;
  snap.sessions.push_back(session);
  snap.entries.push_back(entry(10, qos::at_least_once, 0));    // the one its store id gives
  snap.entries.push_back(entry(11, qos::at_least_once, 777));  // another one was used
  snap.entries.push_back(entry(12, qos::exactly_once, 0));     // QoS 2 not sent yet
  snap.entries.push_back(entry(13, qos::exactly_once, 5));     // QoS 2 sent: in flight again
  snap.paged.push_back(storage::paged_record{0, entry(14, qos::at_least_once, 0)});
  snap.highest_id = 14;
  restore_broker(std::move(snap), shared, {&core}, k_now);

  std::vector<std::uint16_t> queued;
  std::vector<std::uint16_t> inflight;
  core.for_each_session([&](const protocol::session_state& state) {
    for (const auto& out : state.queue) queued.push_back(out.packet_id);
    for (const auto& m : state.inflight) inflight.push_back(m.packet_id);
  });
  EXPECT_EQ(queued, (std::vector<std::uint16_t>{stored_packet_id(10), 777, 0, 0}));
  EXPECT_EQ(inflight, (std::vector<std::uint16_t>{5}));
}

TEST(stored_packet_id, entries_carry_the_identifier_of_a_restored_message) {
  storage::memory_backend backend;
  storage::group_committer committer(backend, storage::durability::os);
  journal j(&committer);
  auto msg = std::make_shared<protocol::message>();
  msg->topic = "t";
  msg->qos_level = qos::at_least_once;
  msg->store_id = 42;
  protocol::outbound_message out;
  out.msg = msg;
  out.qos_level = qos::at_least_once;
  out.stored = true;
  out.packet_id = 777;
  j.put_entry(1, out, k_now);
  j.page_out(1, 0, out, k_now);   // paged, it keeps the identifier too
  j.put_entry(1, out, k_now, 9);  // sent with another one, which the entry then names

  std::vector<std::uint16_t> ids;
  j.take().first.for_each([&](const storage::write_batch::op& op) {
    if (op.key.front() == storage::keys::entry && !op.value.empty()) {
      ids.push_back(storage::decode_entry(op.key, op.value)->packet_id);
    } else if (op.key.front() == storage::keys::paged) {
      ids.push_back(storage::decode_paged(op.key, op.value)->entry.packet_id);
    }
  });
  EXPECT_EQ(ids, (std::vector<std::uint16_t>{777, 777, 9}));
}

}  // namespace
}  // namespace tern::core
