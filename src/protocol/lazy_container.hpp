#pragma once
// Containers that allocate nothing, not even their own bookkeeping, until their first element
// arrives: one pointer while empty. Idle sessions hold several containers they never use (a
// queue, an in-flight window, often no subscription), and an empty boost::container::deque
// weighs 80 bytes, an empty std::map 48. Once allocated a container stays, so one that fills and
// drains does not allocate each time.
//
// Iterators and references are those of the underlying container. An empty lazy container
// iterates over one shared, never modified empty container.

#include <boost/container/deque.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace tern::protocol {

template <typename Container>
class lazy_container {
 public:
  using value_type = typename Container::value_type;
  using iterator = typename Container::iterator;
  using const_iterator = typename Container::const_iterator;
  using difference_type = typename Container::difference_type;

  bool empty() const noexcept { return !items_ || items_->empty(); }
  std::size_t size() const noexcept { return items_ ? items_->size() : 0; }

  iterator begin() noexcept { return items().begin(); }
  iterator end() noexcept { return items().end(); }
  const_iterator begin() const noexcept { return items().begin(); }
  const_iterator end() const noexcept { return items().end(); }

  void clear() noexcept {
    if (items_) items_->clear();
  }

 protected:
  static Container& none() noexcept {
    static Container empty;  // only ever iterated, never changed
    return empty;
  }
  Container& items() noexcept { return items_ ? *items_ : none(); }
  const Container& items() const noexcept { return items_ ? *items_ : none(); }
  Container& allocated() {
    if (!items_) items_ = std::make_unique<Container>();
    return *items_;
  }

  std::unique_ptr<Container> items_;
};

template <typename T>
class lazy_deque : public lazy_container<boost::container::deque<T>> {
  using base = lazy_container<boost::container::deque<T>>;

 public:
  using typename base::const_iterator;
  using typename base::iterator;

  // Preconditions as for a deque: not empty, index in range.
  T& front() noexcept { return this->items_->front(); }
  T& back() noexcept { return this->items_->back(); }
  const T& front() const noexcept { return this->items_->front(); }
  const T& back() const noexcept { return this->items_->back(); }
  T& operator[](std::size_t i) noexcept { return (*this->items_)[i]; }

  void push_back(T value) { this->allocated().push_back(std::move(value)); }
  void pop_front() noexcept { this->items_->pop_front(); }
  void pop_back() noexcept { this->items_->pop_back(); }
  iterator erase(const_iterator it) { return this->items_->erase(it); }
  iterator erase(const_iterator first, const_iterator last) {
    if (first == last) return this->begin() + (first - std::as_const(*this).begin());
    return this->items_->erase(first, last);
  }
};

template <typename T>
class lazy_vector : public lazy_container<std::vector<T>> {
  using base = lazy_container<std::vector<T>>;

 public:
  using typename base::const_iterator;
  using typename base::iterator;

  // Preconditions as for a vector: index in range.
  T& operator[](std::size_t i) noexcept { return (*this->items_)[i]; }
  const T* data() const noexcept { return this->items().data(); }

  void push_back(T value) { this->allocated().push_back(std::move(value)); }
  iterator erase(const_iterator it) { return this->items_->erase(it); }
  // Shrinking only: `n` at most size().
  void resize(std::size_t n) {
    if (this->items_) this->items_->resize(n);
  }
};

// Keys are looked up with Compare's heterogeneous overloads when it has them (std::less<>).
template <typename Key, typename Value, typename Compare = std::less<>>
class lazy_map : public lazy_container<std::map<Key, Value, Compare>> {
  using base = lazy_container<std::map<Key, Value, Compare>>;

 public:
  using typename base::const_iterator;
  using typename base::iterator;

  template <typename K>
  iterator find(const K& key) {
    return this->items().find(key);
  }
  template <typename K>
  const_iterator find(const K& key) const {
    return this->items().find(key);
  }
  template <typename K>
  bool contains(const K& key) const {
    return this->items().contains(key);
  }
  Value& operator[](const Key& key) { return this->allocated()[key]; }
  // `it` must come from this map, so the map is allocated.
  iterator erase(const_iterator it) { return this->items_->erase(it); }
};

}  // namespace tern::protocol
