#pragma once
// The broker's authentication and authorisation: who may connect, publish, subscribe and
// receive. Holds the password file and the ACL file as one immutable snapshot that every shard
// reads; reload() builds a new snapshot from the files and swaps it in atomically, so a check
// sees the old files or the new ones, never a mix. A file that fails to load keeps the previous
// snapshot.
//
// Thread: any. snapshot() is an atomic load; reload() and set_files() may run on any one thread
// (the main thread: SIGHUP, the file watcher, the admin API); the login throttle has its own
// lock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/acl_file.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password_file.hpp"

namespace tern::auth {

// Empty paths: not configured.
struct auth_files {
  std::filesystem::path password_file;
  std::filesystem::path acl_file;
};

struct access_snapshot {
  std::shared_ptr<const password_file> passwords;  // null: no password file
  std::shared_ptr<const acl_file> acl;             // null: no ACL, everything allowed
  std::uint64_t generation = 0;                    // grows with every successful reload
};

// What a client presents at CONNECT, and what its connection says about it.
struct credentials {
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
  // The user named by the client's TLS certificate, when the listener takes it as the
  // username: such a client counts as authenticated by its certificate.
  std::optional<std::string_view> certificate_username;
  bool allow_anonymous = true;  // the listener's setting
};

enum class login_outcome : std::uint8_t {
  accepted,
  bad_credentials,  // unknown user or wrong password: MQTT 5 0x86, 3.1.1 return code 4
  not_authorized,   // anonymous where the listener refuses it: MQTT 5 0x87, 3.1.1 code 5
};

struct login_result {
  login_outcome outcome = login_outcome::accepted;
  std::optional<std::string> username;  // the identity for ACL checks; none: anonymous
  std::string detail;                   // for the log
};

// A password to check against the file it was looked up in. Costly (a key derivation), so it
// runs off the shard thread: it owns everything it reads.
struct password_check {
  std::shared_ptr<const password_file> passwords;
  std::string username;
  std::string password;
};

// What a CONNECT's credentials lead to: a decision now, or a password check first.
using login_plan = std::variant<login_result, password_check>;

class access_control {
 public:
  // Loads the files; throws load_error naming file and line.
  explicit access_control(auth_files files = {});

  // Re-reads the files. On failure logs the error and keeps the current snapshot.
  bool reload();
  // Switches to other files (a configuration reload named new paths): loads them, and on
  // success uses them from now on, also for reload(). On failure logs the error and keeps the
  // current files and snapshot. Same thread as reload().
  bool set_files(auth_files files);
  const auth_files& files() const noexcept { return files_; }
  std::shared_ptr<const access_snapshot> snapshot() const {
    return current_.load(std::memory_order_acquire);
  }
  // The generation of the latest snapshot: a cheap check whether a copy of snapshot() is
  // still current (loading the snapshot itself takes a lock).
  std::uint64_t generation() const noexcept { return installed_.load(std::memory_order_acquire); }

  // Checks a CONNECT's credentials against the current password file (runs the password check
  // on the calling thread).
  login_result authenticate(const credentials& c) const;
  // The part of authenticate() that costs nothing; a password_check if one is needed.
  login_plan plan_login(const credentials& c) const;
  // Finishes a plan: verifies the password. Pure: any thread.
  static login_result check_password(const password_check& check);

  // SCRAM: whether a password file is there to take SCRAM logins at all, and the credentials
  // of `username` for `mechanism` (none: unknown user, or an entry of another kind).
  bool has_password_file() const { return snapshot()->passwords != nullptr; }
  std::optional<scram_credentials> scram_credentials_for(std::string_view username,
                                                         scram_mechanism mechanism) const;
  // A random per-process secret: the fake salts of users that cannot log in with SCRAM.
  std::string_view scram_secret() const noexcept { return scram_secret_; }
  // A failed login from `address`: how long its refusal waits.
  std::chrono::milliseconds on_failed_login(const std::string& address) {
    return throttle_.on_failure(address, login_throttle::clock::now());
  }
  std::uint64_t failed_logins() const noexcept { return throttle_.failures(); }

 private:
  static std::shared_ptr<const access_snapshot> load(const auth_files& files,
                                                     std::uint64_t generation);
  void install(std::shared_ptr<const access_snapshot> next);

  auth_files files_;
  std::atomic<std::shared_ptr<const access_snapshot>> current_;
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<std::uint64_t> installed_{0};  // generation of current_, stored after it
  login_throttle throttle_;
  std::string scram_secret_;
};

// A client may do `wanted` on `topic` under `snapshot` (no ACL: yes).
bool may(const access_snapshot& snapshot, const client_identity& who, std::string_view topic,
         access wanted);

// What one subscription may receive, decided when it is made so that most deliveries need no
// ACL walk: when the whole filter is readable (and the ACL has not been reloaded since), a
// delivery is allowed at once; otherwise each message's topic is checked.
struct read_grant {
  std::shared_ptr<const client_identity> who;  // null: not known (a session restored from the
                                               // store whose client has not reconnected yet)
  std::uint64_t generation = 0;                // the snapshot whole_filter was decided under
  bool whole_filter = false;
};

read_grant make_read_grant(const access_snapshot& snapshot,
                           std::shared_ptr<const client_identity> who, std::string_view filter);
// May the subscriber holding `grant` receive a message on `topic`?
bool may_receive(const access_snapshot& snapshot, const read_grant& grant, std::string_view topic);

}  // namespace tern::auth
