#include "storage/append_memtable.hpp"

#include <algorithm>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <utility>
#include <vector>

namespace tern::storage {

namespace {

using rocksdb::MemTableRep;
using key_list = std::vector<const char*>;

// RocksDB destroys an iterator it got with an arena by calling its destructor only, leaving the
// memory to the arena, whose interface is not public. Such iterators are allocated here instead
// and their memory is freed with the table, which they never outlive: a destructor may still be
// running when its iterator is buried, so nothing earlier is safe. A table lives until it is
// flushed, and Tern reads little (start-up, queue paging), so what waits is small.
class graveyard {
 public:
  graveyard() = default;
  graveyard(const graveyard&) = delete;
  graveyard& operator=(const graveyard&) = delete;
  ~graveyard() {
    for (void* storage : buried_) ::operator delete(storage);
  }
  void bury(void* storage) {
    std::lock_guard lock(mutex_);
    buried_.push_back(storage);
  }

 private:
  std::mutex mutex_;
  std::vector<void*> buried_;
};

class sorted_iterator final : public MemTableRep::Iterator {
 public:
  sorted_iterator(const MemTableRep::KeyComparator& compare, std::shared_ptr<const key_list> keys,
                  graveyard* graves)
      : compare_(compare), keys_(std::move(keys)), at_(keys_->size()), graves_(graves) {}
  sorted_iterator(const sorted_iterator&) = delete;
  sorted_iterator& operator=(const sorted_iterator&) = delete;
  ~sorted_iterator() override {
    if (graves_ != nullptr) graves_->bury(this);
  }

  bool Valid() const override { return at_ < keys_->size(); }
  const char* key() const override { return (*keys_)[at_]; }
  void Next() override { ++at_; }
  void Prev() override { at_ = at_ == 0 ? keys_->size() : at_ - 1; }
  void Seek(const rocksdb::Slice& internal_key, const char* memtable_key) override {
    const auto first_not_less = std::partition_point(
        keys_->begin(), keys_->end(),
        [&](const char* k) { return compare(k, internal_key, memtable_key) < 0; });
    at_ = static_cast<std::size_t>(first_not_less - keys_->begin());
  }
  void SeekForPrev(const rocksdb::Slice& internal_key, const char* memtable_key) override {
    const auto first_greater = std::partition_point(
        keys_->begin(), keys_->end(),
        [&](const char* k) { return compare(k, internal_key, memtable_key) <= 0; });
    at_ = first_greater == keys_->begin()
              ? keys_->size()
              : static_cast<std::size_t>(first_greater - keys_->begin()) - 1;
  }
  void SeekToFirst() override { at_ = 0; }
  void SeekToLast() override { at_ = keys_->empty() ? 0 : keys_->size() - 1; }

 private:
  int compare(const char* k, const rocksdb::Slice& internal_key, const char* memtable_key) const {
    return memtable_key != nullptr ? compare_(k, memtable_key) : compare_(k, internal_key);
  }

  const MemTableRep::KeyComparator& compare_;
  std::shared_ptr<const key_list> keys_;
  std::size_t at_;  // keys_->size(): not valid
  graveyard* graves_;
};

class append_rep final : public MemTableRep {
 public:
  append_rep(const KeyComparator& compare, rocksdb::Allocator* allocator)
      : MemTableRep(allocator), compare_(compare) {}

  void Insert(rocksdb::KeyHandle handle) override {
    const auto* key = static_cast<const char*>(handle);
    std::unique_lock lock(mutex_);
    if (ascending_.empty() || compare_(ascending_.back(), key) < 0) {
      ascending_.push_back(key);
    } else {
      stragglers_.push_back(key);
    }
  }

  bool Contains(const char* key) const override {
    std::shared_lock lock(mutex_);
    const auto holds = [key](const key_list& keys) {
      return std::find(keys.begin(), keys.end(), key) != keys.end();
    };
    return holds(ascending_) || holds(stragglers_) || (sorted_ && holds(*sorted_));
  }

  void MarkReadOnly() override {
    std::unique_lock lock(mutex_);
    read_only_ = true;
    read_only_usage_ = usage();
  }

  // RocksDB requires a read-only table's figure to stay as it was (it subtracts it again when
  // the table goes): sorting then replaces the two lists by one no larger.
  std::size_t ApproximateMemoryUsage() override {
    std::shared_lock lock(mutex_);
    return read_only_ ? read_only_usage_ : usage();
  }

  Iterator* GetIterator(rocksdb::Arena* arena) override {
    auto keys = sorted_keys();
    if (arena == nullptr) return new sorted_iterator(compare_, std::move(keys), nullptr);
    void* storage = ::operator new(sizeof(sorted_iterator));
    return new (storage) sorted_iterator(compare_, std::move(keys), &graves_);
  }

  // Without a prefix extractor RocksDB asks for this iterator only in point lookups (DB::Get),
  // whose default implementation abandons it without destroying it. A lookup is synchronous, so
  // the thread's previous lookup iterator is finished when it asks for the next one: each thread
  // keeps its last one, and replacing it frees the one before.
  Iterator* GetDynamicPrefixIterator(rocksdb::Arena* arena) override {
    if (arena != nullptr) return GetIterator(arena);
    thread_local std::unique_ptr<sorted_iterator> last_lookup;
    last_lookup.reset();
    last_lookup = std::make_unique<sorted_iterator>(compare_, sorted_keys(), nullptr);
    return last_lookup.get();
  }

 private:
  bool less(const char* a, const char* b) const { return compare_(a, b) < 0; }
  std::size_t usage() const {
    return sizeof(*this) + sizeof(const char*) * (ascending_.capacity() + stragglers_.capacity() +
                                                  (sorted_ ? sorted_->capacity() : 0));
  }

  // Every key in order: the ascending ones merged with the sorted stragglers.
  key_list merged() const {
    auto late = stragglers_;
    const auto by_key = [this](const char* a, const char* b) { return less(a, b); };
    std::sort(late.begin(), late.end(), by_key);
    key_list all;
    all.reserve(ascending_.size() + late.size());
    std::merge(ascending_.begin(), ascending_.end(), late.begin(), late.end(),
               std::back_inserter(all), by_key);
    return all;
  }

  // A table still written to gives each reader a sorted copy; a read-only one (being flushed)
  // is sorted once and shared.
  std::shared_ptr<const key_list> sorted_keys() {
    {
      std::shared_lock lock(mutex_);
      if (sorted_) return sorted_;
      if (!read_only_) return std::make_shared<const key_list>(merged());
    }
    std::unique_lock lock(mutex_);
    if (!sorted_) {
      sorted_ = std::make_shared<const key_list>(merged());
      key_list().swap(ascending_);
      key_list().swap(stragglers_);
    }
    return sorted_;
  }

  const KeyComparator& compare_;
  mutable std::shared_mutex mutex_;
  key_list ascending_;   // each key greater than the one before
  key_list stragglers_;  // the others, in arrival order
  bool read_only_ = false;
  std::size_t read_only_usage_ = 0;
  std::shared_ptr<const key_list> sorted_;  // once read-only and read
  graveyard graves_;                        // arena iterators' memory
};

}  // namespace

rocksdb::MemTableRep* append_memtable_factory::CreateMemTableRep(
    const rocksdb::MemTableRep::KeyComparator& compare, rocksdb::Allocator* allocator,
    const rocksdb::SliceTransform* /*prefix*/, rocksdb::Logger* /*logger*/) {
  return new append_rep(compare, allocator);
}

}  // namespace tern::storage
