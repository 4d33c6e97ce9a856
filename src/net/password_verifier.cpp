#include "net/password_verifier.hpp"

#include <boost/asio/post.hpp>

namespace tern::net {

password_verifier::password_verifier(std::size_t threads, std::size_t max_pending)
    : pool_(threads), max_pending_(max_pending) {}

password_verifier::~password_verifier() {
  stop();
}

bool password_verifier::submit(auth::password_check check,
                               std::function<void(auth::login_result)> done) {
  auto waiting = pending_.load(std::memory_order_relaxed);
  do {
    if (waiting >= max_pending_) return false;
  } while (!pending_.compare_exchange_weak(waiting, waiting + 1, std::memory_order_relaxed));
  boost::asio::post(pool_, [this, check = std::move(check), done = std::move(done)] {
    auth::login_result result;
    try {
      result = auth::access_control::check_password(check);
    } catch (const std::exception& e) {
      // A failing crypto library refuses the login rather than ending the broker.
      result = {auth::login_outcome::bad_credentials, std::nullopt,
                std::string("password check failed: ") + e.what()};
    }
    pending_.fetch_sub(1, std::memory_order_relaxed);
    done(std::move(result));
  });
  return true;
}

void password_verifier::stop() {
  pool_.stop();
  pool_.join();
}

}  // namespace tern::net
