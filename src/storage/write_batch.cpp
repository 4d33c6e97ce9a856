#include "storage/write_batch.hpp"

#include <unordered_map>

namespace tern::storage {

std::size_t write_batch::cancel_short_lived() {
  struct born {
    std::size_t index;       // of the put_new
    bool rewritten = false;  // a plain put of the key followed it
  };
  std::unordered_map<std::string_view, born> alive;  // keys created in this batch, not erased
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

}  // namespace tern::storage
