#pragma once
// A deque that allocates nothing, not even its own bookkeeping, until its first element arrives.
// boost::container::deque weighs 80 bytes even when empty, and every session holds three of them
// (its queue, the messages behind paged ones, its in-flight window) that an idle client never
// uses. Once allocated the deque stays, so a queue that fills and drains does not allocate each
// time.
//
// Iterators and references are those of boost::container::deque. An empty lazy_deque iterates
// over one shared, never modified empty deque.

#include <boost/container/deque.hpp>
#include <cstddef>
#include <memory>
#include <utility>

namespace tern::protocol {

template <typename T>
class lazy_deque {
  using container = boost::container::deque<T>;

 public:
  using value_type = T;
  using iterator = typename container::iterator;
  using const_iterator = typename container::const_iterator;
  using difference_type = typename container::difference_type;

  bool empty() const noexcept { return !items_ || items_->empty(); }
  std::size_t size() const noexcept { return items_ ? items_->size() : 0; }

  // Preconditions as for a deque: not empty, index in range.
  T& front() noexcept { return items_->front(); }
  T& back() noexcept { return items_->back(); }
  const T& front() const noexcept { return items_->front(); }
  const T& back() const noexcept { return items_->back(); }
  T& operator[](std::size_t i) noexcept { return (*items_)[i]; }

  iterator begin() noexcept { return items().begin(); }
  iterator end() noexcept { return items().end(); }
  const_iterator begin() const noexcept { return items().begin(); }
  const_iterator end() const noexcept { return items().end(); }

  void push_back(T value) { allocated().push_back(std::move(value)); }
  void pop_front() noexcept { items_->pop_front(); }
  void pop_back() noexcept { items_->pop_back(); }
  iterator erase(const_iterator it) { return items_->erase(it); }
  iterator erase(const_iterator first, const_iterator last) {
    if (first == last) return begin() + (first - cbegin());
    return items_->erase(first, last);
  }
  void clear() noexcept {
    if (items_) items_->clear();
  }

 private:
  const_iterator cbegin() const noexcept { return begin(); }
  static container& none() noexcept {
    static container empty;  // only ever iterated, never changed
    return empty;
  }
  container& items() noexcept { return items_ ? *items_ : none(); }
  const container& items() const noexcept { return items_ ? *items_ : none(); }
  container& allocated() {
    if (!items_) items_ = std::make_unique<container>();
    return *items_;
  }

  std::unique_ptr<container> items_;
};

}  // namespace tern::protocol
