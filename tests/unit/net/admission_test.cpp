#include "net/admission.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

using decision = admission::decision;
using protocol::limit_event;
namespace ip = boost::asio::ip;

const auto now = std::chrono::steady_clock::time_point{} + std::chrono::seconds(1000);
const auto peer = ip::make_address("192.0.2.1");

TEST(admission, beyond_the_limit_refuses_then_closes_past_the_margin) {
  admission gate({.max_connections = 20}, 1024);
  const auto l = gate.add_listener(0);
  const auto margin = admission::refusal_margin(20);
  ASSERT_EQ(margin, 16u);
  int fd = 10;
  for (int i = 0; i < 20; ++i, ++fd) {
    EXPECT_EQ(gate.on_accept(l, peer, fd, now).what, decision::admit);
    EXPECT_FALSE(gate.refused(fd));
  }
  for (std::size_t i = 0; i < margin; ++i, ++fd) {
    const auto v = gate.on_accept(l, peer, fd, now);
    EXPECT_EQ(v.what, decision::refuse);
    EXPECT_EQ(v.why, limit_event::connection_limit);
    EXPECT_TRUE(gate.refused(fd));
  }
  EXPECT_EQ(gate.on_accept(l, peer, fd, now).what, decision::close);
  EXPECT_FALSE(gate.refused(fd));
  EXPECT_EQ(gate.open_connections(), 36u);
  gate.on_close(10);
  gate.on_close(10);  // twice: counted once
  EXPECT_EQ(gate.open_connections(), 35u);
  gate.on_close(fd);  // never recorded
  EXPECT_EQ(gate.open_connections(), 35u);
}

TEST(admission, listener_limits_are_separate) {
  admission gate({}, 1024);
  const auto small = gate.add_listener(1);
  const auto open = gate.add_listener(0);
  EXPECT_EQ(gate.on_accept(small, peer, 5, now).what, decision::admit);
  const auto v = gate.on_accept(small, peer, 6, now);
  EXPECT_EQ(v.what, decision::refuse);
  EXPECT_EQ(v.why, limit_event::listener_connection_limit);
  EXPECT_EQ(gate.on_accept(open, peer, 7, now).what, decision::admit);
  gate.on_close(5);
  gate.on_close(6);
  EXPECT_EQ(gate.on_accept(small, peer, 5, now).what, decision::admit);
}

TEST(admission, connection_rate_closes_at_accept) {
  admission gate({.connection_rate = 1, .connection_burst = 2}, 1024);
  const auto l = gate.add_listener(0);
  EXPECT_EQ(gate.on_accept(l, peer, 5, now).what, decision::admit);
  EXPECT_EQ(gate.on_accept(l, peer, 6, now).what, decision::admit);
  const auto v = gate.on_accept(l, peer, 7, now);
  EXPECT_EQ(v.what, decision::close);
  EXPECT_EQ(v.why, limit_event::connection_rate);
  EXPECT_EQ(gate.open_connections(), 2u);
}

TEST(admission, descriptors_beyond_the_table_are_closed) {
  admission gate({}, 16);
  const auto l = gate.add_listener(0);
  EXPECT_EQ(gate.on_accept(l, peer, 16, now).what, decision::close);
  EXPECT_EQ(gate.on_accept(l, peer, 15, now).what, decision::admit);
}

TEST(admission, limits_change_while_running) {
  admission gate({.max_connections = 1}, 1024);
  const auto l = gate.add_listener(0);
  EXPECT_EQ(gate.on_accept(l, peer, 5, now).what, decision::admit);
  EXPECT_EQ(gate.on_accept(l, peer, 6, now).what, decision::refuse);
  gate.update({.max_connections = 10, .connection_rate = 1, .connection_burst = 1});
  EXPECT_EQ(gate.on_accept(l, peer, 7, now).what, decision::admit);
  EXPECT_EQ(gate.on_accept(l, peer, 8, now).why, limit_event::connection_rate);
  gate.update_listener(l, 3, false);  // behind a balancer now: no rate check
  EXPECT_EQ(gate.on_accept(l, peer, 8, now).what, decision::refuse);
  EXPECT_EQ(gate.on_accept(l, peer, 9, now).why, limit_event::listener_connection_limit);
}

TEST(admission, a_removed_listener_keeps_its_slot_until_its_connections_close) {
  admission gate({}, 1024);
  const auto old = gate.add_listener(0);
  EXPECT_EQ(gate.on_accept(old, peer, 5, now).what, decision::admit);
  gate.remove_listener(old);
  const auto next = gate.add_listener(0);
  EXPECT_NE(next, old);  // connection 5 still counts in the old slot
  EXPECT_EQ(gate.listener_open(old), 1u);
  gate.on_close(5);
  EXPECT_EQ(gate.listener_open(old), 0u);
  EXPECT_EQ(gate.open_connections(), 0u);
  const auto reused = gate.add_listener(7);
  EXPECT_EQ(reused, old);
  EXPECT_EQ(gate.listener_accepted(reused), 0u);
  EXPECT_EQ(gate.on_accept(reused, peer, 5, now).what, decision::admit);
  EXPECT_EQ(gate.listener_open(reused), 1u);
}

TEST(admission, listener_slots_are_bounded) {
  admission gate({}, 16);
  for (std::size_t i = 0; i < admission::k_max_listeners; ++i) gate.add_listener(0);
  EXPECT_THROW(gate.add_listener(0), std::length_error);
  gate.remove_listener(3);
  EXPECT_EQ(gate.add_listener(0), 3u);
}

}  // namespace
}  // namespace tern::net
