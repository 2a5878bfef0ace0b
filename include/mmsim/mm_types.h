// The address-space and page structures of the model (include/linux/mm_types.h).
//
// Invariants that the checker in sim/debug.cc enforces after every step in tests and debug
// builds are written next to the fields they constrain.
#ifndef MMSIM_MM_TYPES_H_
#define MMSIM_MM_TYPES_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "mmsim/types.h"

namespace mmsim {

struct MmStruct;
struct Vma;
struct File;

// struct anon_vma (mm/rmap.c): the reverse-map anchor of anonymous folios. `vmas` is the
// set of VMAs whose anon_vma_chain links them here (the kernel's interval tree of avcs).
struct AnonVma {
  uint32_t id;
  AnonVma* root;
  AnonVma* parent;
  // Number of VMAs linked plus child anon_vmas and folios that point here.
  uint32_t refcount = 0;
  absl::flat_hash_set<Vma*> vmas;
};

// struct anon_vma_name: a shared, immutable name (PR_SET_VMA_ANON_NAME).
using AnonVmaName = std::shared_ptr<const std::string>;

// struct vm_area_struct: one mapping [vm_start, vm_end) of an mm.
// Invariants: vm_start < vm_end, both page aligned; VMAs of one mm never overlap.
// Laid out for the look-up and merge paths: what find_vma and the mergeability checks of a
// neighbour read (is_mergeable_vma, is_mergeable_anon_vma) comes first, then what the VMA
// being changed adds, so each VMA a syscall passes costs one or two cache lines.
struct Vma {
  uint64_t vm_start = 0;
  uint64_t vm_end = 0;
  vm_flags_t vm_flags = 0;
  File* vm_file = nullptr;  // nullptr for anonymous memory (shared anon has a shmem file)
  uint32_t vm_policy = 0;   // mempolicy identity; 0 = default policy
  uint32_t uffd_ctx = 0;    // userfaultfd context identity; 0 = none
  AnonVmaName anon_name;
  AnonVma* anon_vma = nullptr;
  // In pages. File: offset of vm_start in the file. Private anonymous: vm_start >> PAGE_SHIFT
  // at creation (mm/mmap.c do_mmap), so address-adjacent anonymous VMAs are pgoff-adjacent.
  pgoff_t vm_pgoff = 0;
  // The VMAs before and after this one in its mm, in address order (nullptr at the ends):
  // the list vm_area_struct kept until 6.1 replaced it with the maple tree. Here it makes
  // vma_prev / vma_next and a VmaIterator's step a pointer step instead of a tree step (the
  // mlock2/munlock stream of bench/vs_kernel takes a quarter more instructions without it).
  // Set by vma_link and __split_vma, unlinked by remove_vma; meaningless in a VMA that is in
  // no tree (a copy).
  Vma* vm_prev = nullptr;
  Vma* vm_next = nullptr;
  // The anon_vmas this VMA is linked into (anon_vma_chain); more than one means the VMA
  // came from fork and "had uncowed parents" (mm/vma.c vma_had_uncowed_parents).
  absl::InlinedVector<AnonVma*, 2> anon_vma_chain;
  // vm_ops->name for special mappings ("[vdso]", "[vvar]"); nullptr otherwise.
  const char* special_name = nullptr;
  MmStruct* vm_mm = nullptr;
  // vm_ops->close is set: such a VMA may not be removed by a merge (can_merge_remove_vma).
  bool has_close_op = false;

  uint64_t pages() const { return (vm_end - vm_start) >> PAGE_SHIFT; }
  uint64_t size() const { return vm_end - vm_start; }
};

// PG_* folio flags the model uses (include/linux/page-flags.h).
enum FolioFlag : uint32_t {
  PG_locked = 1u << 0,
  PG_referenced = 1u << 1,
  PG_uptodate = 1u << 2,
  PG_dirty = 1u << 3,
  PG_lru = 1u << 4,
  PG_active = 1u << 5,
  PG_workingset = 1u << 6,
  PG_swapbacked = 1u << 7,
  PG_swapcache = 1u << 8,
  PG_unevictable = 1u << 9,
  PG_mlocked = 1u << 10,
  // Not a page flag in the kernel (it is the low bit of folio->mapping): anonymous folio.
  PG_anon_mapping = 1u << 11,
};

// struct folio, order 0 only. Lives in Machine's folio table; index 0 is the shared zero
// page, which is never on an LRU list and never mlocked. 32 bytes: as in the kernel, the
// mlock_count of an unevictable folio shares the slot of the LRU links (the unevictable
// "list" is only a count since 5.18).
struct Folio {
  uint32_t flags : 16 = 0;  // PG_* bits
  uint32_t lru : 4 = 0;     // the list the folio is on when PG_lru
  // References held by per-CPU folio batches (folio_get in folio_add_lru, mlock_folio...).
  // Invariant: a folio that is not PG_lru is in at least one batch (or being reclaimed).
  uint32_t batch_refs : 12 = 0;
  int32_t mapcount = 0;  // number of PTEs mapping it (folio_mapcount)
  // LRU list links (folio indices; 0 = none) while on an evictable list; while
  // PG_unevictable, lru_prev holds mlock_count instead (see mlock_count()).
  uint32_t lru_prev = 0;
  uint32_t lru_next = 0;
  // Owning mapping: AnonVma* when PG_anon_mapping, else File*.
  void* mapping = nullptr;
  pgoff_t index = 0;

  uint32_t& mlock_count() { return lru_prev; }
  uint32_t mlock_count() const { return lru_prev; }
};
static_assert(sizeof(Folio) == 32, "keep the folio table at 32 bytes a page");

// enum lru_list (include/linux/mmzone.h).
enum LruList : uint8_t {
  LRU_INACTIVE_ANON = 0,
  LRU_ACTIVE_ANON = 1,
  LRU_INACTIVE_FILE = 2,
  LRU_ACTIVE_FILE = 3,
  LRU_UNEVICTABLE = 4,
  NR_LRU_LISTS = 5,
};

// One LRU list: head is the most recently added folio; reclaim takes from the tail.
struct LruListHead {
  uint32_t head = 0;
  uint32_t tail = 0;
  int64_t nr = 0;
};

// struct folio_batch: PAGEVEC_SIZE (31) folios.
inline constexpr int FOLIO_BATCH_SIZE = 31;
struct FolioBatch {
  uint8_t nr = 0;
  uint32_t folios[FOLIO_BATCH_SIZE];
  uint8_t tags[FOLIO_BATCH_SIZE];  // the mlock batch's LRU_FOLIO / NEW_FOLIO tag bits
};

// struct cpu_fbatches (mm/swap.c) plus the per-CPU mlock_fbatch (mm/mlock.c).
struct CpuFbatches {
  FolioBatch lru_add;
  FolioBatch lru_deactivate;
  FolioBatch lru_activate;
  FolioBatch mlock;
};

inline constexpr uint32_t ZERO_FOLIO = 0;

// One page-table entry (pte_t), 8 bytes.
struct Pte {
  enum Kind : uint8_t { kNone = 0, kPresent = 1, kSwap = 2 };
  uint32_t folio = 0;  // index into the folio table (present), or swap slot (swap)
  Kind kind = kNone;
  // Present: writable. Swap: the entry is exclusive (pte_swp_exclusive): the page was
  // mapped only here when it went out, and no fork has copied the entry since.
  bool write = false;
  bool young = false;
  bool dirty = false;
};
static_assert(sizeof(Pte) == 8, "PTEs are 8 bytes, as on x86-64");

// The page tables of one mm: a radix of 512-entry leaves (one per 2 MiB, like a PTE page)
// keyed by the leaf's number, so a range walk visits entries in address order and a dense
// region costs 8 bytes a page.
class PageTable {
 public:
  static constexpr unsigned kLeafShift = 9;
  static constexpr uint64_t kLeafSize = uint64_t{1} << kLeafShift;

  PageTable() = default;
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  // The entry for a virtual page number, or nullptr if it is none.
  Pte* find(uint64_t vpn) {
    Leaf* leaf = find_leaf(vpn >> kLeafShift);
    if (!leaf) return nullptr;
    Pte* p = &leaf->e[vpn & (kLeafSize - 1)];
    return p->kind == Pte::kNone ? nullptr : p;
  }
  const Pte* find(uint64_t vpn) const { return const_cast<PageTable*>(this)->find(vpn); }
  // Installs (or replaces) a non-none entry.
  void set(uint64_t vpn, const Pte& pte) {
    Leaf* leaf = find_leaf(vpn >> kLeafShift);
    if (!leaf) leaf = add_leaf(vpn >> kLeafShift);
    Pte& slot = leaf->e[vpn & (kLeafSize - 1)];
    if (slot.kind == Pte::kNone) {
      leaf->used++;
      nr_++;
    }
    slot = pte;
  }
  void clear(uint64_t vpn) {
    auto it = leaves_.find(vpn >> kLeafShift);
    if (it == leaves_.end()) return;
    Pte& slot = it->second->e[vpn & (kLeafSize - 1)];
    if (slot.kind == Pte::kNone) return;
    slot = Pte{};
    nr_--;
    if (--it->second->used == 0) drop_leaf(it);
  }
  // Entries that are not none.
  uint64_t size() const { return nr_; }
  // Calls fn(vpn, Pte&) for each non-none entry of [first, last) in address order. fn may
  // modify the entry but must not set or clear entries of this table.
  template <typename Fn>
  void for_each(uint64_t first, uint64_t last, Fn&& fn) {
    if (first < last && (first >> kLeafShift) == ((last - 1) >> kLeafShift)) {
      // Within one leaf (most syscalls' ranges): the cached look-up, no ordered walk.
      Leaf* leaf = find_leaf(first >> kLeafShift);
      if (!leaf) return;
      const uint64_t base = first & ~(kLeafSize - 1);
      for (uint64_t i = first - base; i < last - base; ++i) {
        if (leaf->e[i].kind != Pte::kNone) fn(base + i, leaf->e[i]);
      }
      return;
    }
    for (auto it = leaves_.lower_bound(first >> kLeafShift);
         it != leaves_.end() && (it->first << kLeafShift) < last; ++it) {
      const uint64_t base = it->first << kLeafShift;
      const uint64_t lo = first > base ? first - base : 0;
      const uint64_t hi = std::min<uint64_t>(kLeafSize, last - base);
      Leaf& leaf = *it->second;
      for (uint64_t i = lo; i < hi; ++i) {
        if (leaf.e[i].kind != Pte::kNone) fn(base + i, leaf.e[i]);
      }
    }
  }
  template <typename Fn>
  void for_each(Fn&& fn) {
    for_each(0, ~uint64_t{0} >> 1, fn);
  }
  // Calls fn(vpn, Pte&) for each non-none entry of [first, last) in address order and clears
  // the entry right after; fn must not set or clear entries of this table.
  template <typename Fn>
  void clear_range(uint64_t first, uint64_t last, Fn&& fn) {
    for (auto it = leaves_.lower_bound(first >> kLeafShift);
         it != leaves_.end() && (it->first << kLeafShift) < last;) {
      const uint64_t base = it->first << kLeafShift;
      const uint64_t lo = first > base ? first - base : 0;
      const uint64_t hi = std::min<uint64_t>(kLeafSize, last - base);
      Leaf& leaf = *it->second;
      for (uint64_t i = lo; i < hi && leaf.used; ++i) {
        if (leaf.e[i].kind == Pte::kNone) continue;
        fn(base + i, leaf.e[i]);
        leaf.e[i] = Pte{};
        leaf.used--;
        nr_--;
      }
      if (leaf.used == 0) {
        it = drop_leaf(it);
      } else {
        ++it;
      }
    }
  }

 private:
  struct Leaf {
    Pte e[kLeafSize];
    uint32_t used = 0;  // entries that are not none; a leaf with none is dropped
  };
  using LeafMap = absl::btree_map<uint64_t, std::unique_ptr<Leaf>>;
  // Emptied leaves kept for reuse (all their entries are none again): mapping and unmapping
  // small ranges then costs no allocation and no 4 KiB zeroing. At most this many.
  static constexpr size_t kMaxSpareLeaves = 8;

  Leaf* find_leaf(uint64_t key) const {
    if (cached_leaf_ && cached_key_ == key) return cached_leaf_;
    auto it = leaves_.find(key);
    if (it == leaves_.end()) return nullptr;
    cached_key_ = key;
    cached_leaf_ = it->second.get();
    return cached_leaf_;
  }
  Leaf* add_leaf(uint64_t key) {
    std::unique_ptr<Leaf> leaf;
    if (!spare_.empty()) {
      leaf = std::move(spare_.back());
      spare_.pop_back();
    } else {
      leaf = std::make_unique<Leaf>();
    }
    cached_key_ = key;
    cached_leaf_ = leaf.get();
    leaves_.emplace(key, std::move(leaf));
    return cached_leaf_;
  }
  LeafMap::iterator drop_leaf(LeafMap::iterator it) {
    if (cached_leaf_ == it->second.get()) cached_leaf_ = nullptr;
    if (spare_.size() < kMaxSpareLeaves) spare_.push_back(std::move(it->second));
    return leaves_.erase(it);
  }

  LeafMap leaves_;
  uint64_t nr_ = 0;
  // The leaf last found or added (a fault, a populate or a zap works page after page in one
  // leaf). Cleared when that leaf is dropped, which is the only way a leaf goes away.
  mutable uint64_t cached_key_ = 0;
  mutable Leaf* cached_leaf_ = nullptr;
  std::vector<std::unique_ptr<Leaf>> spare_;
};

// One slot of an mm's VMA tree: the VMA's vm_end and the VMA. Keyed by the end, as the
// maple tree's pivots are the last address of each range, so find_vma (the first VMA ending
// above an address) is one upper_bound. The key is mutable: a boundary that moves between
// two neighbours (a merge that moves a VMA's end) cannot change the order, so the slot is
// updated in place (vma_tree_set_end) instead of being erased and inserted again. Members
// are named as std::pair's, so the tree reads like a map.
struct VmaTreeSlot {
  VmaTreeSlot(uint64_t end, std::unique_ptr<Vma> vma) : first(end), second(std::move(vma)) {}
  mutable uint64_t first;
  mutable std::unique_ptr<Vma> second;
};
// Orders slots by vm_end; looks up by address (heterogeneous), linear search in a node.
struct VmaTreeLess {
  using is_transparent = void;
  using absl_btree_prefer_linear_node_search = std::true_type;
  bool operator()(const VmaTreeSlot& a, const VmaTreeSlot& b) const { return a.first < b.first; }
  bool operator()(const VmaTreeSlot& a, uint64_t b) const { return a.first < b; }
  bool operator()(uint64_t a, const VmaTreeSlot& b) const { return a < b.first; }
};
using VmaTree = absl::btree_set<VmaTreeSlot, VmaTreeLess>;

// Per-mm RSS counters (include/linux/mm_types_task.h MM_*).
enum MmCounter { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, NR_MM_COUNTERS };

// struct mm_struct.
struct MmStruct {
  uint32_t id = 0;
  // VMAs keyed by vm_end (the kernel's maple tree). Changed only in sim/vma.cc.
  VmaTree mm_mt;
  // The tree's one cursor: the slot the last look-up, step or change left off at, valid
  // while mm_mt_gen is still mt_cursor_gen (every insertion or erasure bumps mm_mt_gen;
  // re-keying in place does not move slots). A syscall works on one VMA and its neighbours,
  // so after the first search a find_vma inside the VMA it is on (the kernel's
  // mm->mmap_cache before 3.15) needs no search, and the changes (re-key, split, remove)
  // mostly become a step from here, as the kernel keeps one vma_iterator through a walk.
  VmaTree::iterator mt_cursor;
  uint64_t mt_cursor_gen = 0;
  uint64_t mm_mt_gen = 1;
  // Invariant: map_count == mm_mt.size() (may exceed max_map_count transiently, as in the
  // kernel after __split_vma in munmap).
  int map_count = 0;
  // Counters in pages (mm/mmap.c vm_stat_account). Invariant: total_vm is the sum of VMA
  // pages; locked_vm is the sum of pages of VM_LOCKED VMAs (the kernel keeps this equality
  // on every path the model implements except those listed in docs/fidelity.md).
  uint64_t total_vm = 0;
  uint64_t locked_vm = 0;
  uint64_t pinned_vm = 0;
  uint64_t data_vm = 0;
  uint64_t exec_vm = 0;
  uint64_t stack_vm = 0;
  uint64_t hiwater_vm = 0;
  uint64_t hiwater_rss = 0;
  vm_flags_t def_flags = 0;
  uint64_t mmap_base = 0;
  uint64_t task_size = TASK_SIZE;
  uint64_t start_code = 0, end_code = 0, start_data = 0, end_data = 0;
  uint64_t start_brk = 0, brk = 0, start_stack = 0;
  int64_t rss_stat[NR_MM_COUNTERS] = {};
  // Page tables: virtual page number -> entry.
  PageTable page_table;
  int users = 0;  // tasks using this mm (threads share it)
};

// A simulated file: a path, a size, and its page cache (struct address_space). Shared
// anonymous mappings get a shmem file of their own.
struct File {
  uint32_t id = 0;
  std::string path;
  uint64_t size = 0;  // bytes
  uint32_t dev_major = 0, dev_minor = 0;
  uint64_t ino = 0;
  bool shmem = false;
  bool unevictable = false;                           // mapping_unevictable (ramfs, SHM_LOCK)
  absl::flat_hash_map<pgoff_t, uint32_t> page_cache;  // index -> folio
  // Shadow entries of reclaimed page-cache folios (index -> age << 1 | PG_workingset).
  absl::flat_hash_map<pgoff_t, uint64_t> shadows;
  absl::flat_hash_set<Vma*> i_mmap;  // VMAs mapping the file
  // The kernel's i_mmap is an interval tree by pgoff. Here: i_mmap sorted by vm_pgoff, with
  // the running maximum of vm_pgoff + pages (so a lookup walks back from the last VMA
  // starting at or before the index until nothing earlier can reach it), rebuilt on the next
  // rmap walk after any VMA of the file was linked, unlinked or resized (i_mmap_changed).
  std::vector<Vma*> i_mmap_index;
  std::vector<uint64_t> i_mmap_max_end;
  bool i_mmap_dirty = true;
};

// A VMA of a file was linked, unlinked or changed its range: the rmap index is stale.
inline void i_mmap_changed(const Vma* v) {
  if (v->vm_file) v->vm_file->i_mmap_dirty = true;
}

}  // namespace mmsim

#endif  // MMSIM_MM_TYPES_H_
