#pragma once
// RocksDB's memtable representation for Tern's store: an append-only array, sorted when read,
// that keeps keys arriving in ascending order apart from the rest.
//
// Why. One thread writes and reads are rare (start-up, queue paging), so an array costs far
// less per insert than RocksDB's default skip list. RocksDB's own array representation sorts
// the whole array for every flush, and that sort was the largest cost left under persistent
// QoS 1 load. Most of Tern's keys arrive in order (entries take increasing message ids, and
// in-order acknowledgements leave as range erases, which live in a table of their own): those
// need no sorting, only the stragglers do, and one merge joins the two.
//
// Thread: inserts from one writer at a time (RocksDB's write thread); iterators and lookups from
// any thread, also while inserts go on (a mutable table's readers get a sorted copy).

#include <rocksdb/memtablerep.h>

namespace tern::storage {

class append_memtable_factory final : public rocksdb::MemTableRepFactory {
 public:
  using rocksdb::MemTableRepFactory::CreateMemTableRep;
  rocksdb::MemTableRep* CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator& compare,
                                          rocksdb::Allocator* allocator,
                                          const rocksdb::SliceTransform* prefix,
                                          rocksdb::Logger* logger) override;
  const char* Name() const override { return "TernAppendMemtable"; }
};

}  // namespace tern::storage
