#include "sequence_tracker.hpp"

#include <algorithm>
#include <iterator>

namespace tern::bench {

sequence_tracker::outcome sequence_tracker::record(std::uint64_t seq) {
  if (seq == next_) {
    ++next_;
    return outcome::in_order;
  }
  if (seq > next_) {
    gaps_.push_back({next_, seq});
    missing_ += seq - next_;
    next_ = seq + 1;
    return outcome::ahead;
  }
  // Below next_: either fills a gap or was seen before.
  auto it = std::upper_bound(gaps_.begin(), gaps_.end(), seq,
                             [](std::uint64_t s, const gap& g) { return s < g.first; });
  if (it == gaps_.begin()) {
    ++duplicates_;
    return outcome::duplicate;
  }
  --it;
  if (seq >= it->end) {
    ++duplicates_;
    return outcome::duplicate;
  }
  --missing_;
  ++out_of_order_;
  if (it->first == seq && it->end == seq + 1) {
    gaps_.erase(it);
  } else if (it->first == seq) {
    it->first = seq + 1;
  } else if (it->end == seq + 1) {
    it->end = seq;
  } else {
    const gap upper{seq + 1, it->end};
    it->end = seq;
    gaps_.insert(std::next(it), upper);
  }
  return outcome::late;
}

}  // namespace tern::bench
