#pragma once
// Loss, duplicate and order accounting for the messages of one publisher as one subscriber sees
// them. Sequence numbers start at 0. A number above the next expected one opens a gap; a number
// that fills a gap later is out of order; a number seen before is a duplicate.

#include <cstdint>
#include <vector>

namespace tern::bench {

class sequence_tracker {
 public:
  enum class outcome : std::uint8_t {
    in_order,   // the next expected number
    ahead,      // skipped over a gap (first receipt)
    late,       // filled a gap (first receipt, out of order)
    duplicate,  // received before
  };

  outcome record(std::uint64_t seq);

  // One past the highest number received.
  std::uint64_t next_expected() const noexcept { return next_; }
  // Numbers below next_expected() never received.
  std::uint64_t missing() const noexcept { return missing_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  std::uint64_t out_of_order() const noexcept { return out_of_order_; }

 private:
  struct gap {
    std::uint64_t first;
    std::uint64_t end;  // one past the last
  };
  std::uint64_t next_ = 0;
  std::uint64_t missing_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::vector<gap> gaps_;  // sorted, disjoint
};

}  // namespace tern::bench
