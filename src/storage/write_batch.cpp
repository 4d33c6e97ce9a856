#include "storage/write_batch.hpp"

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>

namespace tern::storage {

std::size_t write_batch::cancel_short_lived() {
  struct born {
    std::size_t index;       // of the put_new
    bool rewritten = false;  // a plain put of the key followed it
  };
  // Keys created in this batch and not erased yet.
  boost::unordered_flat_map<std::string_view, born, boost::hash<std::string_view>> alive;
  alive.reserve(count_);
  std::vector<std::pair<std::string_view, std::size_t>> rewrites;  // rare: (key, put index)
  std::vector<bool> dropped;
  std::size_t removed = 0;
  std::size_t index = 0;
  for_each([&](const op& o) {
    switch (o.kind) {
      case op_kind::put_new:
        alive[o.key] = born{index};
        break;
      case op_kind::put:
      case op_kind::merge_retained:
        if (auto it = alive.find(o.key); it != alive.end()) {
          it->second.rewritten = true;
          rewrites.emplace_back(o.key, index);
        }
        break;
      case op_kind::erase:
        if (auto it = alive.find(o.key); it != alive.end()) {
          if (dropped.empty()) dropped.resize(count_);
          dropped[it->second.index] = true;
          dropped[index] = true;
          removed += 2;
          if (it->second.rewritten) {
            for (const auto& [key, put] : rewrites) {
              if (key == o.key && put > it->second.index && put < index && !dropped[put]) {
                dropped[put] = true;
                ++removed;
              }
            }
          }
          alive.erase(it);
        }
        break;
      case op_kind::erase_range:
        break;  // a put it covers is harmless: the range erase still removes it
    }
    ++index;
  });
  if (removed == 0) return 0;

  write_batch kept;
  kept.buffer_.reserve(buffer_.size());
  index = 0;
  for_each([&](const op& o) {
    if (!dropped[index++]) kept.add(o.kind, o.key, o.value);
  });
  buffer_.swap(kept.buffer_);
  count_ = kept.count_;
  return removed;
}

namespace {

constexpr std::size_t k_id_bytes = 8;

std::uint64_t id_of(std::string_view key) {
  std::uint64_t big_endian = 0;
  std::memcpy(&big_endian, key.data() + key.size() - k_id_bytes, k_id_bytes);
  return __builtin_bswap64(big_endian);
}

// `key` with its id one higher (the id is not the last one).
std::string next_key(std::string_view key) {
  std::string next(key);
  for (std::size_t i = next.size(); i-- > next.size() - k_id_bytes;) {
    if (++next[i] != '\0') break;  // no carry out of this byte
  }
  return next;
}

// Whether `key` is the key after `previous`, and not the last id (a run must have an end key).
bool follows(std::string_view key, std::string_view previous) {
  if (key.size() != previous.size() ||
      key.substr(0, key.size() - k_id_bytes) != previous.substr(0, previous.size() - k_id_bytes)) {
    return false;
  }
  const auto id = id_of(key);
  return id != UINT64_MAX && id == id_of(previous) + 1;
}

}  // namespace

std::size_t write_batch::coalesce_erase_runs(bool (*id_keyed)(std::string_view key)) {
  const auto in_run = [id_keyed](const op& o) {
    return o.kind == op_kind::erase && o.key.size() >= k_id_bytes && id_keyed(o.key);
  };
  // Most batches have no run at all: look before copying.
  bool any = false;
  std::string_view previous;
  for_each([&](const op& o) {
    if (in_run(o) && !previous.empty() && follows(o.key, previous)) any = true;
    previous = in_run(o) ? o.key : std::string_view();
  });
  if (!any) return 0;

  write_batch out;
  out.buffer_.reserve(buffer_.size());
  std::string_view first;
  std::string_view last;
  const auto close_run = [&] {
    if (first == last) {
      if (!first.empty()) out.add(op_kind::erase, first, {});
    } else {
      out.add(op_kind::erase_range, first, next_key(last));
    }
    first = last = {};
  };
  for_each([&](const op& o) {
    if (!in_run(o)) {
      close_run();
      out.add(o.kind, o.key, o.value);
    } else if (!first.empty() && follows(o.key, last)) {
      last = o.key;
    } else {
      close_run();
      first = last = o.key;
    }
  });
  close_run();
  const auto folded = count_ - out.count_;
  buffer_.swap(out.buffer_);
  count_ = out.count_;
  return folded;
}

}  // namespace tern::storage
