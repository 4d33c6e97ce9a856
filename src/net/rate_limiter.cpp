#include "net/rate_limiter.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace tern::net {

rate_limiter::rate_limiter(double rate, double burst, std::size_t max_tracked)
    : rate_(rate),
      burst_(std::max(1.0, burst)),
      max_tracked_(std::max<std::size_t>(1, max_tracked)) {}

void rate_limiter::set_rate(double rate, double burst) {
  rate_ = rate;
  burst_ = std::max(1.0, burst);
  if (rate_ <= 0) buckets_.clear();
}

std::size_t rate_limiter::key_hash::operator()(const key& k) const noexcept {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
}

rate_limiter::key rate_limiter::key_of(const boost::asio::ip::address& address) {
  key k{};
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(k.data(), bytes.data(), bytes.size());
    return k;
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped())
    return key_of(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  const auto bytes = v6.to_bytes();
  std::memcpy(k.data(), bytes.data(), 8);  // the /64 prefix
  k[15] = 6;                               // never equal to an IPv4 key
  return k;
}

double rate_limiter::refilled(const bucket& b, clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now - b.updated;
  return std::min(burst_, b.tokens + std::max(0.0, elapsed.count()) * rate_);
}

void rate_limiter::forget_full(clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) { return refilled(entry.second, now) >= burst_; });
}

bool rate_limiter::allow(const boost::asio::ip::address& address, clock::time_point now) {
  if (rate_ <= 0) return true;
  const auto k = key_of(address);
  auto it = buckets_.find(k);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_tracked_) forget_full(now);
    if (buckets_.size() >= max_tracked_) return true;  // cannot track more: let it through
    buckets_.emplace(k, bucket{burst_ - 1, now});
    return true;
  }
  auto& b = it->second;
  b.tokens = refilled(b, now);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace tern::net
