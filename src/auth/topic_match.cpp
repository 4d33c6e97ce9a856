#include "auth/topic_match.hpp"

namespace tern::auth {

namespace {

// Walks '/'-separated levels; `done` once past the last level.
class levels {
 public:
  explicit levels(std::string_view text) : text_(text) {}
  bool done() const noexcept { return done_; }
  std::string_view current() const noexcept {
    const auto end = text_.find('/', pos_);
    return text_.substr(pos_, end == std::string_view::npos ? end : end - pos_);
  }
  void next() noexcept {
    const auto end = text_.find('/', pos_);
    if (end == std::string_view::npos) {
      done_ = true;
    } else {
      pos_ = end + 1;
    }
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

bool wildcard_first(std::string_view filter) noexcept {
  return filter.starts_with('+') || filter.starts_with('#');
}

}  // namespace

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  if (topic.starts_with('$') && wildcard_first(filter)) return false;
  levels f(filter);
  levels t(topic);
  while (!f.done()) {
    const auto level = f.current();
    if (level == "#") return true;
    if (t.done()) return false;
    if (level != "+" && level != t.current()) return false;
    f.next();
    t.next();
  }
  return t.done();
}

bool filter_within(std::string_view inner, std::string_view outer) noexcept {
  if (wildcard_first(outer) && !wildcard_first(inner) && inner.starts_with('$')) return false;
  levels o(outer);
  levels i(inner);
  while (!o.done()) {
    const auto level = o.current();
    if (level == "#") return true;
    if (i.done()) return false;
    const auto other = i.current();
    if (other == "#") return false;  // more levels than `outer` has
    if (level != "+" && (other == "+" || level != other)) return false;
    o.next();
    i.next();
  }
  return i.done();
}

bool filters_overlap(std::string_view a, std::string_view b) noexcept {
  levels x(a);
  levels y(b);
  while (!x.done() && !y.done()) {
    const auto l = x.current();
    const auto r = y.current();
    if (l == "#" || r == "#") return true;
    if (l != "+" && r != "+" && l != r) return false;
    x.next();
    y.next();
  }
  if (x.done() && y.done()) return true;
  // One has levels left: only a "#" there still matches the shorter one's topics.
  return (!x.done() && x.current() == "#") || (!y.done() && y.current() == "#");
}

}  // namespace tern::auth
