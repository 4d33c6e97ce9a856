// Login decisions, throttling and reloads of the live access control.

#include <gtest/gtest.h>

#include "auth/access_control.hpp"
#include "auth/login_throttle.hpp"
#include "temp_files.hpp"

namespace tern::auth {
namespace {

using namespace std::chrono_literals;
using testing::temp_dir;
using testing::write_text;

credentials login(std::optional<std::string_view> user, std::optional<std::string_view> pw,
                  bool allow_anonymous = false) {
  credentials c;
  c.username = user;
  c.password = pw;
  c.allow_anonymous = allow_anonymous;
  return c;
}

TEST(access_control, checks_users_against_the_password_file) {
  temp_dir dir;
  write_text(dir / "pw", "ann:" + make_pbkdf2_hash("right", 10) + "\n");
  access_control access({dir / "pw", {}});
  EXPECT_EQ(access.authenticate(login("ann", "right")).outcome, login_outcome::accepted);
  EXPECT_EQ(access.authenticate(login("ann", "right")).username, "ann");
  EXPECT_EQ(access.authenticate(login("ann", "wrong")).outcome, login_outcome::bad_credentials);
  EXPECT_EQ(access.authenticate(login("ann", std::nullopt)).outcome,
            login_outcome::bad_credentials);
  EXPECT_EQ(access.authenticate(login("zed", "right")).outcome, login_outcome::bad_credentials);
  EXPECT_EQ(access.authenticate(login(std::nullopt, std::nullopt)).outcome,
            login_outcome::not_authorized);
  const auto anonymous = access.authenticate(login(std::nullopt, std::nullopt, true));
  EXPECT_EQ(anonymous.outcome, login_outcome::accepted);
  EXPECT_FALSE(anonymous.username);
}

TEST(access_control, a_username_nothing_can_verify_is_not_an_identity) {
  access_control access;
  const auto r = access.authenticate(login("root", "x", true));
  EXPECT_EQ(r.outcome, login_outcome::accepted);
  EXPECT_FALSE(r.username);
  EXPECT_EQ(access.authenticate(login("root", "x", false)).outcome, login_outcome::not_authorized);
}

TEST(access_control, a_certificate_user_counts_as_authenticated) {
  access_control access;
  auto c = login(std::nullopt, std::nullopt, false);
  c.certificate_username = "device-1";
  const auto r = access.authenticate(c);
  EXPECT_EQ(r.outcome, login_outcome::accepted);
  EXPECT_EQ(r.username, "device-1");
}

TEST(access_control, reload_swaps_files_and_keeps_the_old_ones_when_broken) {
  temp_dir dir;
  write_text(dir / "pw", "ann:" + make_pbkdf2_hash("one", 10) + "\n");
  write_text(dir / "acl", "user ann\ntopic a/#\n");
  access_control access({dir / "pw", dir / "acl"});
  const auto first = access.snapshot();
  write_text(dir / "pw", "ann:" + make_pbkdf2_hash("two", 10) + "\n");
  EXPECT_TRUE(access.reload());
  EXPECT_GT(access.snapshot()->generation, first->generation);
  EXPECT_EQ(access.authenticate(login("ann", "two")).outcome, login_outcome::accepted);
  EXPECT_EQ(access.authenticate(login("ann", "one")).outcome, login_outcome::bad_credentials);

  write_text(dir / "acl", "user ann\nbogus line\n");
  const auto before = access.snapshot();
  EXPECT_FALSE(access.reload());
  EXPECT_EQ(access.snapshot(), before);  // still the previous files
  EXPECT_EQ(access.authenticate(login("ann", "two")).outcome, login_outcome::accepted);
  // The snapshot taken before stays valid for whoever holds it.
  EXPECT_TRUE(first->acl->allows({"c", "ann"}, "a/b", access::write));
}

TEST(access_control, missing_files_fail_at_construction) {
  EXPECT_THROW(access_control({"/nonexistent/pw", {}}), load_error);
}

TEST(login_throttle, delay_doubles_per_recent_failure_up_to_the_bound_then_decays) {
  login_throttle throttle({100ms, 1000ms, 60s, 2});
  const auto t0 = login_throttle::clock::now();
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0), 100ms);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0), 200ms);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0), 400ms);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0), 800ms);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0), 1000ms);
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0), 1000ms);
  // Other addresses are not punished.
  EXPECT_EQ(throttle.on_failure("10.0.0.2", t0), 100ms);
  // Quiet for longer than the decay: forgiven.
  EXPECT_EQ(throttle.on_failure("10.0.0.1", t0 + 61s), 100ms);
  // The table is bounded (2 here): a third address evicts, it never grows past the bound.
  EXPECT_EQ(throttle.on_failure("10.0.0.3", t0 + 61s), 100ms);
  EXPECT_EQ(throttle.failures(), 9u);
}

}  // namespace
}  // namespace tern::auth
