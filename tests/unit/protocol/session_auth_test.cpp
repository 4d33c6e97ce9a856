// Component tests of the session's authentication: a password check handed to the transport
// (here: run by the test) and the AUTH rules of enhanced authentication, with a real
// access_control over a password file and a manual clock.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "auth/password_hash.hpp"
#include "codec/decoder.hpp"
#include "codec/encoder.hpp"
#include "core/shard_core.hpp"
#include "protocol/session.hpp"

namespace tern::protocol {
namespace {

using namespace codec;
using namespace std::chrono_literals;

struct no_links final : core::shard_links {
  void post_deliveries(std::size_t, std::vector<core::remote_delivery>&&) override {}
  void schedule_outbox_flush(std::size_t) override {}
  void commit(std::size_t, storage::write_batch&&, std::uint64_t) override {}
};

class session_auth_test : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() /
            ("tern-session-auth-" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::ofstream(file_) << "alice:" << auth::make_pbkdf2_hash("alice-pw", 10) << "\n"
                         << "sam:"
                         << auth::make_scram_hash("sam-pw", auth::scram_mechanism::sha256, 10)
                         << "\n";
    access_.emplace(auth::auth_files{file_, {}});
    shared_.settings = settings_;
    shared_.access = &*access_;
    core_.emplace(0, shared_, links_);
    session_.emplace(settings_, *core_, now_);
    session_->set_transport(true);
  }
  void TearDown() override { std::filesystem::remove(file_); }

  std::vector<std::uint8_t> bytes_of(const packet& p) {
    std::vector<std::uint8_t> bytes;
    encode(p, protocol_version::v5, bytes);
    return bytes;
  }

  std::vector<packet> received() {
    auto out = session_->take_output();
    std::vector<packet> packets;
    std::span<const std::uint8_t> rest(out);
    decode_options options;
    options.version = protocol_version::v5;
    while (!rest.empty()) {
      auto r = decode(rest, options);
      if (r.status != decode_status::complete) break;
      packets.push_back(std::move(r.value));
      rest = rest.subspan(r.consumed);
    }
    return packets;
  }

  static connect make_connect(std::optional<std::string> user, std::optional<std::string> pw) {
    connect c;
    c.version = protocol_version::v5;
    c.client_id = "c";
    c.keep_alive = 60;
    c.username = std::move(user);
    if (pw) c.password = binary(pw->begin(), pw->end());
    return c;
  }

  static codec::auth make_auth(reason_code reason, std::string method, std::string data) {
    codec::auth a;
    a.reason = reason;
    a.props.authentication_method = std::move(method);
    a.props.authentication_data = binary(data.begin(), data.end());
    return a;
  }

  time_point now_ = time_point{} + 1000s;
  session_settings settings_;
  std::filesystem::path file_;
  std::optional<auth::access_control> access_;
  core::broker_shared shared_;
  no_links links_;
  std::optional<core::shard_core> core_;
  std::optional<session> session_;
};

TEST_F(session_auth_test, a_password_check_pauses_input_until_its_result_comes_back) {
  auto bytes = bytes_of(make_connect("alice", "alice-pw"));
  const auto connect_size = bytes.size();
  const auto ping = bytes_of(pingreq{});
  bytes.insert(bytes.end(), ping.begin(), ping.end());
  // The CONNECT is consumed, the PINGREQ behind it waits.
  EXPECT_EQ(session_->on_bytes(bytes, now_), connect_size);
  EXPECT_TRUE(session_->awaiting_verification());
  EXPECT_TRUE(received().empty());
  auto check = session_->take_password_check();
  ASSERT_TRUE(check);
  EXPECT_FALSE(session_->take_password_check());
  session_->on_password_checked(auth::access_control::check_password(*check), now_);
  EXPECT_FALSE(session_->awaiting_verification());
  EXPECT_EQ(session_->state(), session_phase::connected);
  EXPECT_EQ(session_->username(), "alice");
  EXPECT_EQ(session_->on_bytes(ping, now_), ping.size());
  const auto out = received();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<connack>(out[0]).reason, reason_code::success);
  EXPECT_TRUE(std::holds_alternative<pingresp>(out[1]));
}

TEST_F(session_auth_test, a_wrong_password_is_refused_after_the_throttle_delay) {
  const auto bytes = bytes_of(make_connect("alice", "nope"));
  (void)session_->on_bytes(bytes, now_);
  session_->on_password_checked(
      auth::access_control::check_password(*session_->take_password_check()), now_);
  EXPECT_TRUE(received().empty());
  ASSERT_TRUE(session_->deadline());
  now_ = *session_->deadline();
  session_->on_timer(now_);
  const auto out = received();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<connack>(out[0]).reason, reason_code::bad_user_name_or_password);
  EXPECT_TRUE(session_->wants_close());
}

TEST_F(session_auth_test, a_busy_verifier_refuses_with_server_busy) {
  (void)session_->on_bytes(bytes_of(make_connect("alice", "alice-pw")), now_);
  ASSERT_TRUE(session_->take_password_check());
  session_->on_verification_refused(now_);
  const auto out = received();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<connack>(out[0]).reason, reason_code::server_busy);
  EXPECT_TRUE(session_->wants_close());
}

TEST_F(session_auth_test, scram_connect_gets_a_server_first_and_then_only_auth_is_accepted) {
  auto c = make_connect(std::nullopt, std::nullopt);
  c.props.authentication_method = "SCRAM-SHA-256";
  const std::string first = "n,,n=sam,r=abcdef";
  c.props.authentication_data = binary(first.begin(), first.end());
  (void)session_->on_bytes(bytes_of(c), now_);
  auto out = received();
  ASSERT_EQ(out.size(), 1u);
  const auto& a = std::get<codec::auth>(out[0]);
  EXPECT_EQ(a.reason, reason_code::continue_authentication);
  EXPECT_EQ(a.props.authentication_method, "SCRAM-SHA-256");
  const std::string server_first(a.props.authentication_data->begin(),
                                 a.props.authentication_data->end());
  EXPECT_TRUE(server_first.starts_with("r=abcdef")) << server_first;
  EXPECT_NE(server_first.find(",i=10"), std::string::npos) << server_first;
  // Another method in the AUTH: a protocol error, answered in CONNACK.
  (void)session_->on_bytes(
      bytes_of(make_auth(reason_code::continue_authentication, "SCRAM-SHA-512", "c=biws")), now_);
  out = received();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<connack>(out[0]).reason, reason_code::protocol_error);
  EXPECT_TRUE(session_->wants_close());
}

TEST_F(session_auth_test, an_unfinished_exchange_ends_at_the_connect_timeout) {
  auto c = make_connect(std::nullopt, std::nullopt);
  c.props.authentication_method = "SCRAM-SHA-512";
  const std::string first = "n,,n=alice,r=abcdef";
  c.props.authentication_data = binary(first.begin(), first.end());
  (void)session_->on_bytes(bytes_of(c), now_);
  ASSERT_EQ(received().size(), 1u);
  now_ += settings_.connect_timeout;
  session_->on_timer(now_);
  EXPECT_TRUE(session_->wants_close());
  EXPECT_EQ(session_->close_reason().reason, reason_code::maximum_connect_time);
  EXPECT_EQ(session_->close_reason().detail,
            "authentication not completed within the connect timeout");
}

}  // namespace
}  // namespace tern::protocol
