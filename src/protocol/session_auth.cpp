// protocol::session: who the client is. Plain CONNECT credentials (checked off the shard thread
// by the transport) and MQTT 5 enhanced authentication with SCRAM through AUTH packets, at
// CONNECT and when the client re-authenticates (section 4.12).
//
// Exchange at CONNECT:  CONNECT(method, client-first) -> AUTH 0x18 (server-first)
//                       AUTH 0x18 (client-final)      -> CONNACK 0x00 (server-final)
// Re-authentication:    AUTH 0x19 (client-first)      -> AUTH 0x18 (server-first)
//                       AUTH 0x18 (client-final)      -> AUTH 0x00 (server-final)
// Every AUTH and a successful CONNACK carry the method of CONNECT [MQTT-4.12.0-5]; another
// method is a protocol error. A failed exchange at CONNECT is refused with CONNACK 0x87 after
// the login throttle's delay; a failed re-authentication ends with DISCONNECT 0x87
// [MQTT-4.12.1-2]. The connect timeout bounds an exchange the client leaves unfinished.

#include <fmt/format.h>

#include "protocol/session.hpp"

namespace tern::protocol {

using namespace codec;

namespace {

std::string_view as_text(const std::optional<binary>& data) {
  if (!data) return {};
  return {reinterpret_cast<const char*>(data->data()), data->size()};
}

binary as_binary(std::string_view text) {
  return binary(text.begin(), text.end());
}

}  // namespace

session::login_step session::authenticate(const connect& c) {
  auto* access = port_.access();
  if (access == nullptr) return login_step::accepted;
  tern::auth::credentials credentials;
  if (c.username) credentials.username = *c.username;
  if (c.password) {
    credentials.password =
        std::string_view(reinterpret_cast<const char*>(c.password->data()), c.password->size());
  }
  credentials.allow_anonymous = allow_anonymous_;
  // A verified TLS client certificate vouches for the client: no password needed.
  if (transport_identity_ && login().username) credentials.certificate_username = *login().username;
  auto plan = access->plan_login(credentials);
  if (auto* check = std::get_if<tern::auth::password_check>(&plan)) {
    login().password_check = std::make_unique<tern::auth::password_check>(std::move(*check));
    checking_password_ = true;
    return login_step::checking;
  }
  auto result = std::get<tern::auth::login_result>(std::move(plan));
  if (result.outcome == tern::auth::login_outcome::accepted) {
    login().username = std::move(result.username);
    return login_step::accepted;
  }
  if (result.outcome == tern::auth::login_outcome::not_authorized) {
    port_.traffic().auth_failures.add();
    refuse_connect(c.version, reason_code::not_authorized, std::move(result.detail));
    return login_step::refused;
  }
  refuse_login_later(reason_code::bad_user_name_or_password, std::move(result.detail));
  return login_step::refused;
}

void session::refuse_login_later(reason_code reason, std::string detail) {
  port_.traffic().auth_failures.add();
  auto* access = port_.access();
  const auto delay =
      access != nullptr ? access->on_failed_login(source_address()) : std::chrono::milliseconds{0};
  login().refusal = delayed_refusal{now_ + delay, reason,
                                    fmt::format("{} (refused after {} ms)", detail, delay.count())};
  login().parked.reset();
  end_scram();
}

void session::on_password_checked(tern::auth::login_result result, time_point now) {
  now_ = now;
  checking_password_ = false;
  if (phase_ != session_phase::awaiting_connect || !login_parked()) return;  // timed out
  inside_input_ = true;
  if (result.outcome == tern::auth::login_outcome::accepted) {
    login().username = std::move(result.username);
    auto parked = std::move(login().parked);
    finish_connect(std::move(parked->connect), std::move(parked->ack));
  } else {
    refuse_login_later(reason_code::bad_user_name_or_password, std::move(result.detail));
  }
  inside_input_ = false;
}

void session::on_verification_refused(time_point now) {
  now_ = now;
  checking_password_ = false;
  if (login_) login_->password_check.reset();
  if (phase_ != session_phase::awaiting_connect || !login_parked()) return;
  const auto version = login().parked->connect.version;
  login().parked.reset();
  refuse_connect(version, reason_code::server_busy,
                 "too many password checks pending: try again later");
}

bool session::supports_method(std::string_view method) {
  auto* access = port_.access();
  return access != nullptr && access->has_password_file() &&
         tern::auth::scram_mechanism_named(method).has_value();
}

bool session::start_scram(std::string_view method, const properties& props, std::string& detail) {
  auto* access = port_.access();
  const auto mechanism = tern::auth::scram_mechanism_named(method);
  auth_->scram = std::make_unique<tern::auth::scram_exchange>(*mechanism);
  auto first = auth_->scram->on_client_first(as_text(props.authentication_data));
  if (first.index() == 1) {
    detail = fmt::format("{}: {}", method, std::get<1>(first));
    return false;
  }
  auth_->scram_user = std::get<0>(std::move(first));
  const auto credentials = access->scram_credentials_for(auth_->scram_user, *mechanism);
  auto server_first =
      auth_->scram->server_first(credentials ? &*credentials : nullptr, access->scram_secret(),
                                 tern::auth::make_scram_nonce());
  send_auth(reason_code::continue_authentication, std::move(server_first));
  return true;
}

const std::string& session::auth_method() const noexcept {
  static const std::string none;
  return auth_ ? auth_->method : none;
}

void session::begin_enhanced_auth(connect&& c, connack&& ack) {
  auth_ =
      std::make_unique<enhanced_auth>(enhanced_auth{*c.props.authentication_method, {}, nullptr});
  std::string detail;
  if (transport_identity_) {
    return refuse_connect(c.version, reason_code::not_authorized,
                          "SCRAM on a connection already identified by its client certificate");
  }
  // The exchange may answer before CONNECT is parked: park it first.
  const auto props = c.props;
  login().parked = std::make_unique<parked_login>(parked_login{std::move(c), std::move(ack)});
  if (!start_scram(auth_method(), props, detail)) {
    return refuse_login_later(reason_code::not_authorized, std::move(detail));
  }
  const auto& parked = *login().parked;
  if (parked.connect.username && *parked.connect.username != auth_->scram_user) {
    // The CONNECT names a user and SCRAM another: neither is trusted. The exchange runs on (the
    // client cannot tell this from a wrong password) and fails at the proof.
    auth_->scram_user.clear();
  }
}

void session::send_auth(reason_code reason, std::string data) {
  codec::auth a;
  a.reason = reason;
  a.props.authentication_method = auth_method();
  a.props.authentication_data = as_binary(data);
  send(a);
}

void session::handle_auth(const codec::auth& a) {
  const bool connecting = phase_ == session_phase::awaiting_connect;
  const auto fail_protocol = [&](std::string detail) {
    end_scram();
    if (connecting) {
      login().parked.reset();
      return refuse_connect(protocol_version::v5, reason_code::protocol_error, std::move(detail));
    }
    protocol_violation(reason_code::protocol_error, std::move(detail));
  };
  if (!auth_ || !a.props.authentication_method || *a.props.authentication_method != auth_->method) {
    return fail_protocol(fmt::format("AUTH with method '{}', the connection uses '{}'",
                                     a.props.authentication_method.value_or(""), auth_method()));
  }
  const auto fail_auth = [&](std::string detail) {
    if (connecting) return refuse_login_later(reason_code::not_authorized, std::move(detail));
    // Counted like a failed login; the connection ends at once [MQTT-4.12.1-2].
    port_.traffic().auth_failures.add();
    if (auto* access = port_.access()) (void)access->on_failed_login(source_address());
    end_scram();
    protocol_violation(reason_code::not_authorized,
                       fmt::format("re-authentication failed: {}", detail));
  };
  if (a.reason == reason_code::re_authenticate) {
    if (connecting || scram() != nullptr) {
      return fail_protocol("AUTH 0x19 while an authentication exchange is in progress");
    }
    if (!supports_method(auth_method())) {
      return fail_auth(fmt::format("method '{}' is no longer available", auth_method()));
    }
    std::string detail;
    if (!start_scram(auth_method(), a.props, detail)) return fail_auth(std::move(detail));
    return;
  }
  if (a.reason != reason_code::continue_authentication || scram() == nullptr) {
    return fail_protocol(
        fmt::format("AUTH {} without an exchange waiting for it", to_string(a.reason)));
  }
  auto result = scram()->on_client_final(as_text(a.props.authentication_data));
  end_scram();
  if (result.accepted && auth_->scram_user.empty()) {
    result.accepted = false;
    result.detail = "the CONNECT user name differs from the SCRAM user";
  }
  if (result.accepted && !connecting && username() != auth_->scram_user) {
    result.accepted = false;
    result.detail = fmt::format("re-authentication as another user '{}'", auth_->scram_user);
  }
  if (!result.accepted) return fail_auth(std::move(result.detail));
  if (!connecting) return send_auth(reason_code::success, std::move(result.server_final));
  login().username = auth_->scram_user;
  auto parked = std::move(login().parked);
  parked->ack.props.authentication_method = auth_method();
  parked->ack.props.authentication_data = as_binary(result.server_final);
  finish_connect(std::move(parked->connect), std::move(parked->ack));
}

}  // namespace tern::protocol
