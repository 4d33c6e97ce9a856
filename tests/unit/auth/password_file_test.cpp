// Password entries as Mosquitto's tools write them, generated while the test runs.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "auth/password_file.hpp"
#include "auth/password_file_edit.hpp"
#include "auth/password_hash.hpp"
#include "temp_files.hpp"

namespace tern::auth {
namespace {

using testing::run;
using testing::temp_dir;

TEST(password_file, verifies_pbkdf2_entries_written_by_mosquitto_passwd) {
  temp_dir dir;
  const auto file = dir / "passwords";
  run("mosquitto_passwd -c -b " + file.string() + " alice 'open sesame'");
  run("mosquitto_passwd -b " + file.string() + " bob 'p:w$rd'");
  const auto passwords = password_file::load(file);
  ASSERT_EQ(passwords.size(), 2u);
  ASSERT_NE(passwords.find("alice"), nullptr);
  EXPECT_EQ(passwords.find("alice")->kind, hash_kind::pbkdf2_sha512);
  EXPECT_TRUE(passwords.verify("alice", "open sesame"));
  EXPECT_TRUE(passwords.verify("bob", "p:w$rd"));
  EXPECT_FALSE(passwords.verify("alice", "open sesame "));
  EXPECT_FALSE(passwords.verify("alice", "p:w$rd"));
  EXPECT_FALSE(passwords.verify("carol", "open sesame"));
}

TEST(password_file, verifies_salted_sha512_entries_of_older_mosquitto) {
  temp_dir dir;
  const auto file = dir / "passwords";
  run("mosquitto_passwd -H sha512 -c -b " + file.string() + " carol hunter2");
  const auto passwords = password_file::load(file);
  ASSERT_NE(passwords.find("carol"), nullptr);
  EXPECT_EQ(passwords.find("carol")->kind, hash_kind::sha512);
  EXPECT_TRUE(passwords.verify("carol", "hunter2"));
  EXPECT_FALSE(passwords.verify("carol", "hunter3"));
}

TEST(password_file, verifies_argon2id_entries) {
  // Debian's mosquitto_passwd (2.0) cannot write argon2id; the argon2 tool writes the same PHC
  // string that Mosquitto 2.1 stores.
  const auto encoded = run("printf '%s' 'correct horse' | argon2 saltsaltsalt -id -t 2 -m 12 -e");
  ASSERT_TRUE(encoded.starts_with("$argon2id$")) << encoded;
  const auto passwords =
      password_file::parse("dave:" + encoded.substr(0, encoded.find('\n')) + "\n", "mem");
  EXPECT_EQ(passwords.find("dave")->kind, hash_kind::argon2id);
  EXPECT_TRUE(passwords.verify("dave", "correct horse"));
  EXPECT_FALSE(passwords.verify("dave", "correct horse battery"));
}

TEST(password_file, entries_tern_writes_verify_in_mosquitto_format) {
  const auto hash = make_pbkdf2_hash("s3cret", 1000);
  auto parsed = parse_password_hash(hash);
  ASSERT_TRUE(std::holds_alternative<password_hash>(parsed)) << std::get<std::string>(parsed);
  const auto& h = std::get<password_hash>(parsed);
  EXPECT_EQ(h.iterations, 1000u);
  EXPECT_EQ(h.salt.size(), 12u);  // as mosquitto_passwd
  EXPECT_EQ(h.digest.size(), 64u);
  EXPECT_TRUE(verify_password(h, "s3cret"));
  EXPECT_FALSE(verify_password(h, "s3cre"));
  EXPECT_NE(make_pbkdf2_hash("s3cret", 1000), hash);  // a new salt each time
}

TEST(password_file, skips_comments_and_blank_lines_and_accepts_crlf) {
  const auto hash = make_pbkdf2_hash("pw", 10);
  const auto passwords = password_file::parse("# users\n\nerin:" + hash + "\r\n", "mem");
  EXPECT_TRUE(passwords.verify("erin", "pw"));
}

std::string load_error_of(const std::string& text) {
  try {
    (void)password_file::parse(text, "pw.txt");
  } catch (const load_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(password_file, damaged_lines_name_file_and_line) {
  const auto good = "ok:" + make_pbkdf2_hash("pw", 10) + "\n";
  EXPECT_EQ(load_error_of(good + "no colon here\n"), "pw.txt:2: expected username:hash");
  EXPECT_EQ(
      load_error_of("# c\n" + good + "plain:secret\n"),
      "pw.txt:3: user 'plain': not a $6$, $7$, $argon2id$ or $scram-sha-256/512$ password hash");
  EXPECT_EQ(load_error_of(":" + make_pbkdf2_hash("pw", 10) + "\n"), "pw.txt:1: empty username");
  EXPECT_EQ(load_error_of(good + good), "pw.txt:2: user 'ok' appears twice");
  EXPECT_EQ(load_error_of("x:$7$abc$AAAAAAAAAAAAAAAA$AAAA\n"),
            "pw.txt:1: user 'x': iteration count 'abc' is not a number in 1..10000000");
  EXPECT_EQ(load_error_of("x:$7$101$not*base64$AAAA\n"), "pw.txt:1: user 'x': salt is not base64");
  EXPECT_EQ(load_error_of("x:$6$AAAAAAAAAAAAAAAA$AAAA\n"),
            "pw.txt:1: user 'x': digest is not a base64 SHA-512 value");
  EXPECT_EQ(load_error_of("x:$argon2id$broken\n"), "pw.txt:1: user 'x': damaged $argon2id$ hash");
}

TEST(password_file, missing_file_is_a_load_error) {
  EXPECT_THROW((void)password_file::load("/nonexistent/tern/passwords"), load_error);
}

TEST(password_file_edit, replaces_appends_and_deletes_keeping_other_lines) {
  const std::string text = "# team\nann:$7$old\nbob:$6$x$y\n";
  bool found = false;
  EXPECT_EQ(edit_password_text(text, "ann", "ann:$7$new", found),
            "# team\nann:$7$new\nbob:$6$x$y\n");
  EXPECT_TRUE(found);
  EXPECT_EQ(edit_password_text(text, "cat", "cat:$7$c", found), text + "cat:$7$c\n");
  EXPECT_FALSE(found);
  EXPECT_EQ(edit_password_text(text, "bob", "", found), "# team\nann:$7$old\n");
  EXPECT_TRUE(found);
}

TEST(password_file_edit, writes_with_mode_0600_and_replaces_atomically) {
  temp_dir dir;
  const auto file = dir / "passwords";
  testing::write_text(file, "old\n");
  ::chmod(file.c_str(), 0644);
  write_file_atomically(file, "new\n");
  EXPECT_EQ(testing::read_text(file), "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
}

}  // namespace
}  // namespace tern::auth
