#include "net/client_origin.hpp"

#include <gtest/gtest.h>

namespace tern::net {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::tcp;

TEST(client_origin_test, the_address_read_back_from_the_peer_is_the_endpoints) {
  for (const auto* text : {"10.0.0.7", "127.0.0.1", "::1", "2001:db8::42", "::ffff:10.0.0.7"}) {
    const tcp::endpoint endpoint(make_address(text), 50122);
    const auto origin = origin_at(endpoint);
    EXPECT_EQ(origin.address, make_address(text).to_string());
    EXPECT_EQ(peer_address(origin.peer), origin.address) << origin.peer;
  }
  EXPECT_EQ(origin_at(tcp::endpoint(make_address("::1"), 4000)).peer, "[::1]:4000");
  EXPECT_EQ(peer_address("unknown"), "unknown");
  EXPECT_EQ(peer_address(""), "");
}

}  // namespace
}  // namespace tern::net
