#include "auth/access_control.hpp"

#include <spdlog/spdlog.h>

namespace tern::auth {

access_control::access_control(auth_files files)
    : files_(std::move(files)), scram_secret_(make_scram_nonce()) {
  install(load(files_, generation_.load()));
}

void access_control::install(std::shared_ptr<const access_snapshot> next) {
  const auto generation = next->generation;
  current_.store(std::move(next), std::memory_order_release);
  installed_.store(generation, std::memory_order_release);
}

std::shared_ptr<const access_snapshot> access_control::load(const auth_files& files,
                                                            std::uint64_t generation) {
  auto next = std::make_shared<access_snapshot>();
  next->generation = generation;
  if (!files.password_file.empty()) {
    next->passwords =
        std::make_shared<const password_file>(password_file::load(files.password_file));
  }
  if (!files.acl_file.empty()) {
    next->acl = std::make_shared<const acl_file>(acl_file::load(files.acl_file));
  }
  return next;
}

bool access_control::reload() {
  if (files_.password_file.empty() && files_.acl_file.empty()) return true;
  try {
    auto next = load(files_, generation_.fetch_add(1) + 1);
    const auto users = next->passwords ? next->passwords->size() : 0;
    install(std::move(next));
    spdlog::info("auth: reloaded ({} user(s) in the password file{})", users,
                 files_.acl_file.empty() ? "" : ", ACL file");
    return true;
  } catch (const std::exception& e) {
    spdlog::error("auth: reload failed, keeping the previous files: {}", e.what());
    return false;
  }
}

bool access_control::set_files(auth_files files) {
  try {
    // A new generation even when a file disappears: read grants decided under the old ACL end.
    auto next = load(files, generation_.fetch_add(1) + 1);
    const auto users = next->passwords ? next->passwords->size() : 0;
    files_ = std::move(files);
    install(std::move(next));
    spdlog::info("auth: now using password file {} ({} user(s)) and ACL file {}",
                 files_.password_file.empty() ? "(none)" : files_.password_file.string(), users,
                 files_.acl_file.empty() ? "(none)" : files_.acl_file.string());
    return true;
  } catch (const std::exception& e) {
    spdlog::error("auth: cannot switch files, keeping the previous ones: {}", e.what());
    return false;
  }
}

login_result access_control::authenticate(const credentials& c) const {
  auto plan = plan_login(c);
  if (auto* check = std::get_if<password_check>(&plan)) return check_password(*check);
  return std::get<login_result>(std::move(plan));
}

login_result access_control::check_password(const password_check& check) {
  if (!check.passwords->verify(check.username, check.password)) {
    return {login_outcome::bad_credentials, std::nullopt,
            fmt::format("wrong password for user '{}'", check.username)};
  }
  return {login_outcome::accepted, check.username, {}};
}

std::optional<scram_credentials> access_control::scram_credentials_for(
    std::string_view username, scram_mechanism mechanism) const {
  const auto snap = snapshot();
  if (!snap->passwords) return std::nullopt;
  const auto* hash = snap->passwords->find(username);
  if (hash == nullptr) return std::nullopt;
  return scram_credentials_of(*hash, mechanism);
}

login_plan access_control::plan_login(const credentials& c) const {
  // The single place where a TLS client certificate vouches for the client.
  if (c.certificate_username) {
    return login_result{login_outcome::accepted, std::string(*c.certificate_username),
                        "client certificate"};
  }
  const auto snap = snapshot();
  if (c.username && snap->passwords) {
    if (!c.password) {
      return login_result{login_outcome::bad_credentials, std::nullopt,
                          fmt::format("user '{}' sent no password", *c.username)};
    }
    if (snap->passwords->find(*c.username) == nullptr) {
      return login_result{login_outcome::bad_credentials, std::nullopt,
                          fmt::format("unknown user '{}'", *c.username)};
    }
    return password_check{snap->passwords, std::string(*c.username), std::string(*c.password)};
  }
  // Anonymous, or a username nothing can verify (no password file): not trusted as an identity.
  if (!c.allow_anonymous) {
    return login_result{login_outcome::not_authorized, std::nullopt,
                        c.username
                            ? "no password file to check the username against, and this listener "
                              "refuses anonymous clients"
                            : "anonymous clients are not allowed on this listener"};
  }
  return login_result{login_outcome::accepted, std::nullopt, {}};
}

bool may(const access_snapshot& snapshot, const client_identity& who, std::string_view topic,
         access wanted) {
  return !snapshot.acl || snapshot.acl->allows(who, topic, wanted);
}

read_grant make_read_grant(const access_snapshot& snapshot,
                           std::shared_ptr<const client_identity> who, std::string_view filter) {
  read_grant grant;
  grant.generation = snapshot.generation;
  grant.whole_filter =
      !snapshot.acl || (who && snapshot.acl->check_subscribe(*who, filter).whole_filter);
  grant.who = std::move(who);
  return grant;
}

bool may_receive(const access_snapshot& snapshot, const read_grant& grant, std::string_view topic) {
  if (!snapshot.acl) return true;
  if (!grant.who) return false;
  if (grant.whole_filter && grant.generation == snapshot.generation) return true;
  return snapshot.acl->allows(*grant.who, topic, access::read);
}

}  // namespace tern::auth
