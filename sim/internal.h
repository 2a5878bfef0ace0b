// Functions shared between the files of sim/ (the kernel's mm/internal.h and mm/vma.h).
// Each models the kernel function of the same name; where the model differs, the function's
// comment says how, and docs/fidelity.md says why.
#ifndef MMSIM_SIM_INTERNAL_H_
#define MMSIM_SIM_INTERNAL_H_

#include <cstdint>
#include <vector>

#include "mmsim/machine.h"
#include "mmsim/mm_types.h"
#include "mmsim/policy_toolkit.h"  // lru_add_drain, folio_referenced, isolate_lru_folios...

namespace mmsim {

// ---- VMA tree look-ups (include/linux/mm.h, mm/mmap.c) ----
// First VMA with vm_end > addr, or nullptr.
Vma* find_vma(MmStruct* mm, uint64_t addr);
// Moves vma's end to `end`, which must stay above the previous VMA's end and below the next
// VMA's end (the tree order is unchanged): the tree slot is re-keyed in place.
void vma_tree_set_end(MmStruct* mm, Vma* vma, uint64_t end);
// The VMA containing addr, or nullptr.
Vma* vma_lookup(MmStruct* mm, uint64_t addr);
// First VMA intersecting [start, end), or nullptr.
Vma* find_vma_intersection(MmStruct* mm, uint64_t start, uint64_t end);
// The VMA before / after vma in its mm (Vma::vm_prev / vm_next), or nullptr.
Vma* vma_prev(MmStruct* mm, const Vma* vma);
Vma* vma_next(MmStruct* mm, const Vma* vma);
// find_vma, and in *pprev the VMA before the one found (the last VMA when none is found).
Vma* find_vma_prev(MmStruct* mm, uint64_t addr, Vma** pprev);

// struct vma_iterator (include/linux/mm_types.h, mm/vma.h): a position in an mm's VMA tree,
// the range [start, end) of the VMA it is on (the maple state's index and last + 1); the next
// vma_find goes on from `end`. It holds no tree iterator (a change to the tree cannot leave it
// dangling): it steps along the VMA links, and what it looks up by address goes through the
// mm's tree cursor (MmStruct::mt_cursor). VMA_ITERATOR(vmi, mm, addr) starts at addr.
struct VmaIterator {
  MmStruct* mm;
  uint64_t start;
  uint64_t end;
  // The VMA it is on while that VMA still ends at `end` (nullptr after vma_iter_set): the
  // next VMA is then its vm_next, with no look-up at all.
  Vma* vma;
};
#define VMA_ITERATOR(name, mm_, addr) \
  VmaIterator name { (mm_), (addr), (addr), nullptr }
inline void vma_iter_init(VmaIterator* vmi, MmStruct* mm, uint64_t addr) {
  *vmi = {mm, addr, addr, nullptr};
}
inline void vma_iter_set(VmaIterator* vmi, uint64_t addr) {
  vmi->start = vmi->end = addr;
  vmi->vma = nullptr;
}
inline uint64_t vma_iter_end(const VmaIterator* vmi) { return vmi->end; }
// Puts the iterator on vma (which the callers just modified), as the kernel's vma_modify
// leaves vmi on the VMA it returns. No kernel twin.
inline void sim_vma_iter_on(VmaIterator* vmi, Vma* vma) {
  vmi->start = vma->vm_start;
  vmi->end = vma->vm_end;
  vmi->vma = vma;
}
// The next VMA starting below max, or nullptr; the iterator moves onto it. Past max there is
// nothing to look up (a walk ends there without a search).
inline Vma* vma_find(VmaIterator* vmi, uint64_t max) {
  if (vmi->end >= max) return nullptr;
  Vma* vma =
      vmi->vma && vmi->vma->vm_end == vmi->end ? vmi->vma->vm_next : find_vma(vmi->mm, vmi->end);
  if (!vma || vma->vm_start >= max) return nullptr;
  sim_vma_iter_on(vmi, vma);
  return vma;
}
inline Vma* vma_next(VmaIterator* vmi) { return vma_find(vmi, ~uint64_t{0}); }
// The VMA before the iterator's (before the first VMA ending above `start`), or nullptr; the
// iterator moves onto it (with none, to address 0), so vma_find returns the VMA after it.
inline Vma* vma_prev(VmaIterator* vmi) {
  Vma* prev;
  if (vmi->vma && vmi->vma->vm_start == vmi->start && vmi->vma->vm_end == vmi->end) {
    prev = vmi->vma->vm_prev;
  } else {
    find_vma_prev(vmi->mm, vmi->start, &prev);
  }
  if (prev) {
    sim_vma_iter_on(vmi, prev);
  } else {
    vma_iter_set(vmi, 0);
  }
  return prev;
}
// The VMA containing `start`, or nullptr; the iterator moves onto it.
inline Vma* vma_iter_load(VmaIterator* vmi) {
  Vma* vma = vma_lookup(vmi->mm, vmi->start);
  if (vma) sim_vma_iter_on(vmi, vma);
  return vma;
}
// The VMAs from the iterator on that start below `end` / all of them, in address order. The
// body may split or merge the VMA it is given if it leaves the iterator on the result
// (sim_vma_iter_on), as mlock_fixup and mprotect_fixup do; it must not leave the iterator on
// a VMA it removed.
#define for_each_vma_range(vmi, vma, end) while (((vma) = vma_find(&(vmi), (end))) != nullptr)
#define for_each_vma(vmi, vma) while (((vma) = vma_next(&(vmi))) != nullptr)

// ---- mm/vma.c ----
// struct vma_merge_struct: the proposed range and the attributes it would carry.
struct VmaMergeStruct {
  MmStruct* mm = nullptr;
  Vma* prev = nullptr;
  Vma* middle = nullptr;
  Vma* next = nullptr;
  Vma* target = nullptr;
  uint64_t start = 0, end = 0;
  pgoff_t pgoff = 0;
  vm_flags_t vm_flags = 0;
  File* file = nullptr;
  AnonVma* anon_vma = nullptr;
  uint32_t policy = 0;
  uint32_t uffd_ctx = 0;
  AnonVmaName anon_name;
  bool just_expand = false;
  // The plan vma_merge_existing_range makes and commit_merge carries out: target takes
  // [start, end) at pgoff; middle and/or next are deleted; middle's or next's start moves
  // to end.
  bool __remove_middle = false;
  bool __remove_next = false;
  bool __adjust_middle_start = false;
  bool __adjust_next_start = false;
  enum State { VMA_MERGE_START, VMA_MERGE_ERROR_NOMEM, VMA_MERGE_NOMERGE, VMA_MERGE_SUCCESS };
  State state = VMA_MERGE_START;
};

// Fills a merge state from an existing VMA for a modification of [start, end) within it
// (VMG_VMA_STATE).
VmaMergeStruct vmg_vma_state(MmStruct* mm, Vma* prev, Vma* vma, uint64_t start, uint64_t end);

Vma* vma_merge_existing_range(Machine& m, VmaMergeStruct& vmg);
Vma* vma_merge_new_range(Machine& m, VmaMergeStruct& vmg);
// Result of the vma_modify family: the VMA now covering exactly [start, end), or -errno.
struct VmaOrErr {
  Vma* vma;
  int err;
};
VmaOrErr vma_modify_flags(Machine& m, MmStruct* mm, Vma* prev, Vma* vma, uint64_t start,
                          uint64_t end, vm_flags_t new_flags);
VmaOrErr vma_modify_flags_name(Machine& m, MmStruct* mm, Vma* prev, Vma* vma, uint64_t start,
                               uint64_t end, vm_flags_t new_flags, AnonVmaName name);
// split_vma checks max_map_count; __split_vma does not. Return 0 or -errno.
int split_vma(Machine& m, MmStruct* mm, Vma* vma, uint64_t addr, bool new_below);
int __split_vma(Machine& m, MmStruct* mm, Vma* vma, uint64_t addr, bool new_below);
// Inserts a fully built VMA into mm (vma_link).
Vma* vma_link(Machine& m, MmStruct* mm, std::unique_ptr<Vma> vma);
// Removes a VMA from the tree and frees it; pages must already be zapped (remove_vma).
void remove_vma(Machine& m, MmStruct* mm, Vma* vma);
// Unmaps [start, end) (do_vmi_munmap); returns 0 or -errno.
int do_vmi_munmap(Machine& m, MmStruct* mm, uint64_t start, uint64_t len);
// mm/vma.c is_mergeable_anon_vma helper: the VMA came from fork with uncowed parents.
bool vma_had_uncowed_parents(const Vma* vma);

// ---- mm/mmap.c ----
void vm_stat_account(MmStruct* mm, vm_flags_t flags, int64_t npages);
bool may_expand_vm(Task& t, vm_flags_t flags, uint64_t npages);
bool mlock_future_ok(Task& t, MmStruct* mm, vm_flags_t flags, uint64_t bytes);
uint64_t get_unmapped_area(Task& t, File* file, uint64_t addr, uint64_t len, uint64_t flags);
// Grows a VM_GROWSDOWN VMA down to addr (expand_downwards); 0 or -errno.
int expand_downwards(Task& t, Vma* vma, uint64_t addr);

// ---- mm/mlock.c ----
// Tags of mlock batch entries (the kernel keeps LRU_FOLIO and NEW_FOLIO in the low bits of
// the folio pointer); an untagged entry is a munlock.
inline constexpr uint8_t kMlockLruFolio = 1;
inline constexpr uint8_t kMlockNewFolio = 2;
bool can_do_mlock(Task& t);
void mlock_vma_pages_range(Machine& m, Vma* vma, uint64_t start, uint64_t end, vm_flags_t newflags);
void mlock_folio(Machine& m, uint32_t folio);
void mlock_new_folio(Machine& m, uint32_t folio);
void munlock_folio(Machine& m, uint32_t folio);
// mm/internal.h mlock_vma_folio / munlock_vma_folio.
void mlock_vma_folio(Machine& m, uint32_t folio, const Vma* vma);
void munlock_vma_folio(Machine& m, uint32_t folio, const Vma* vma);

// ---- mm/madvise.c ----
long madvise_set_anon_name(Task& t, uint64_t start, uint64_t len_in, AnonVmaName name);
// Whether sys_madvise implements `behavior` (control::madvise_is_modelled).
bool sim_madvise_is_modelled(int behavior);

// ---- mm/gup.c ----
long __mm_populate(Task& t, uint64_t start, uint64_t len, bool ignore_errors);
inline void mm_populate(Task& t, uint64_t start, uint64_t len) {
  (void)__mm_populate(t, start, len, true);
}
long populate_vma_page_range(Task& t, Vma* vma, uint64_t start, uint64_t end);

// ---- mm/memory.c ----
enum FaultFlags : unsigned { FAULT_FLAG_WRITE = 1, FAULT_FLAG_FORCE = 2 };
// Returns 0 or -EFAULT (the process would be signalled).
int handle_mm_fault(Task& t, Vma* vma, uint64_t addr, unsigned flags);
// Zaps the page-table entries of [start, end) inside vma (unmap_page_range / zap_pte_range).
void zap_page_range_single(Machine& m, Vma* vma, uint64_t start, uint64_t end);

// ---- mm/mmap.c, kernel/fork.c ----
void exit_mmap(Machine& m, MmStruct* mm);
// Drops a user of mm (exit, exec); the last one unmaps it (exit_mmap).
void mmput(Machine& m, std::shared_ptr<MmStruct>& mm);

// ---- mm/page_alloc.c ----
// Sets the machine's zone watermarks from its memory size.
void init_per_zone_wmark_min(Machine& m);

// ---- mm/rmap.c ----
// Gives vma an anon_vma: reuses a compatible neighbour's or makes a new one.
int anon_vma_prepare(Machine& m, Vma* vma);
// dst joins every anon_vma of src's chain (split, dup_anon_vma).
void anon_vma_clone(Machine& m, Vma* dst, const Vma* src);
// Drops vma from every anon_vma of its chain.
void unlink_anon_vmas(Machine& m, Vma* vma);
// The child VMA of fork joins every anon_vma of the parent VMA's chain and gets its own.
void anon_vma_fork(Machine& m, Vma* vma, const Vma* pvma);
void folio_add_new_anon_rmap(Machine& m, uint32_t folio, Vma* vma, uint64_t addr);
void folio_add_file_rmap_pte(Machine& m, uint32_t folio, Vma* vma);
void folio_add_anon_rmap_pte(Machine& m, uint32_t folio, Vma* vma);
void folio_remove_rmap_pte(Machine& m, uint32_t folio, Vma* vma);
// The rmap walks: counts and clears young PTEs (*vm_flags: the flags of the VMAs seen);
// unmaps the folio everywhere (false if a mapping remains).
int folio_referenced(Machine& m, uint32_t folio, vm_flags_t* vm_flags);
bool try_to_unmap(Machine& m, uint32_t folio);
// Rebuilds File::i_mmap_index.
void sim_i_mmap_rebuild(File* file);

// ---- mm/swap.c ----
bool folio_evictable(const Folio& f);  // mm/internal.h
LruList folio_lru_list(const Folio& f);
void folio_deactivate(Machine& m, uint32_t folio);
void folio_mark_accessed(Machine& m, uint32_t folio);
// mm/workingset.c (sim/workingset.cc).
void workingset_age_nonresident(Machine& m, uint64_t nr_pages);
void workingset_activation(Machine& m, uint32_t folio);
uint64_t workingset_eviction(Machine& m, uint32_t folio);  // the shadow to store
bool workingset_test_recent(const Machine& m, uint64_t shadow, bool file, bool* workingset);
void workingset_refault(Machine& m, uint32_t folio, uint64_t shadow);
void lru_add_drain_all(Machine& m);  // every CPU
// Processes and empties a lru_add batch (sim/swap.cc) or an mlock batch (sim/mlock.cc).
void sim_drain_lru_add(Machine& m, FolioBatch& b);
void mlock_folio_batch(Machine& m, FolioBatch& b);
void mlock_drain_local(Machine& m);
// Drops a batch's reference; folio_put frees an anonymous folio nothing maps or holds.
void sim_batch_put(Machine& m, uint32_t folio);
void folio_put(Machine& m, uint32_t folio);
void folio_add_lru(Machine& m, uint32_t folio);
void folio_add_lru_vma(Machine& m, uint32_t folio, const Vma* vma);
void folio_put_last(Machine& m, uint32_t folio);  // frees a folio nothing references
// The reclaim cost of a type: nr_io folios paged out (or refaulted), nr_rotated kept.
void lru_note_cost(Machine& m, bool file, uint64_t nr_io, uint64_t nr_rotated);
void lru_note_cost_refault(Machine& m, uint32_t folio);

// ---- mm/swapfile.c, mm/swap_state.c ----
int __swap_duplicate(Machine& m, SwpEntry e, uint8_t usage);
int swap_duplicate(Machine& m, SwpEntry e);
int add_swap_count_continuation(Machine& m, SwpEntry e);
uint64_t swp_swapcount(Machine& m, SwpEntry e);
void swap_free(Machine& m, SwpEntry e);
void free_swap_and_cache(Machine& m, SwpEntry e);
bool folio_alloc_swap(Machine& m, SwpEntry* out);
uint32_t swap_cache_get_folio(Machine& m, SwpEntry e);
void add_to_swap_cache(Machine& m, uint32_t folio, SwpEntry e);
void delete_from_swap_cache(Machine& m, uint32_t folio);
bool folio_free_swap(Machine& m, uint32_t folio);
uint64_t total_swap_pages(const Machine& m);
// mm/memory.c do_swap_page: the fault on a swap PTE. 0 or -errno.
int do_swap_page(Task& t, Vma* vma, uint64_t addr, unsigned flags);

// ---- mm/vmscan.c ----
// Runs the machine's reclaim policy (MachineConfig::reclaim_policy).
uint64_t try_to_free_pages(Machine& m, uint64_t nr_to_reclaim, bool kswapd);
// do_try_to_free_pages, isolate_lru_folios, move_folios_to_lru: mmsim/policy_toolkit.h.

inline constexpr int DEF_PRIORITY = 12;
inline constexpr uint64_t SWAP_CLUSTER_MAX = 32;
inline constexpr int MAX_RECLAIM_RETRIES = 16;
inline constexpr int MAX_SWAPPINESS = 200;
enum : unsigned { DEACTIVATE_ANON = 1, DEACTIVATE_FILE = 2 };
enum ScanBalance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };
enum FolioReferences { FOLIOREF_RECLAIM, FOLIOREF_RECLAIM_CLEAN, FOLIOREF_KEEP, FOLIOREF_ACTIVATE };

// struct scan_control: one reclaim run's target and progress, and what prepare_scan_control
// decided for the current shrink_node. Public here so that tests can drive a pass call by
// call, as the kernel's own tools/testing does with mm internals.
struct ScanControl {
  uint64_t nr_to_reclaim = SWAP_CLUSTER_MAX;
  int priority = DEF_PRIORITY;
  int order = 0;        // always 0: the model allocates order-0 folios
  bool kswapd = false;  // current_is_kswapd()
  bool may_swap = true;
  unsigned may_deactivate = 0;  // DEACTIVATE_ANON | DEACTIVATE_FILE
  bool force_deactivate = false, skipped_deactivate = false, memcg_full_walk = false;
  bool cache_trim_mode = false, cache_trim_mode_failed = false, no_cache_trim_mode = false;
  bool file_is_tiny = false;
  uint64_t anon_cost = 0, file_cost = 0;  // the lruvec's, when prepare_scan_control ran
  uint64_t nr_scanned = 0;                // inactive-list folios shrink_folio_list looked at
  uint64_t nr_reclaimed = 0;              // pages freed so far in this run
};

FolioReferences folio_check_references(Machine& m, uint32_t folio);
bool inactive_is_low(const Machine& m, LruList inactive_lru);
void prepare_scan_control(Machine& m, ScanControl& sc);
// nr[LRU_INACTIVE_ANON .. LRU_ACTIVE_FILE]: folios to scan at sc.priority.
void get_scan_count(const Machine& m, const ScanControl& sc, uint64_t nr[NR_LRU_LISTS]);
void shrink_lruvec(Machine& m, ScanControl& sc);
void shrink_node(Machine& m, ScanControl& sc);
bool pgdat_balanced(const Machine& m);
bool kswapd_shrink_node(Machine& m, ScanControl& sc);
uint64_t balance_pgdat(Machine& m);  // pages freed
uint64_t wakeup_kswapd(Machine& m);  // pages freed by the synchronous kswapd
void folio_putback_lru(Machine& m, uint32_t folio);
void reclaim_pages(Machine& m, const std::vector<uint32_t>& folios);
bool folio_isolate_lru(Machine& m, uint32_t folio);

// The reclaim policies' toolkit (sim_policy_isolate, sim_policy_evict...): mmsim/policy_toolkit.h.

// ---- helpers without a kernel twin ----
// The entry and exit every system call shares (the kernel's syscall entry, do_syscall_64):
// the call runs on the calling task's CPU (its per-CPU batches), and Machine::after_syscall
// (invariant checks, when configured) runs on every return path. Each sys_* is
//   return sim_syscall(t, "name", [&]() -> long { ...the model, returning the result... });
// `name` is a string literal; nothing is allocated.
template <typename Body>
inline long sim_syscall(Task& t, const char* name, Body&& body) {
  Machine& m = *t.machine;
  m.cpu = t.cpu;
  const long ret = body();
  m.after_syscall(name);
  return ret;
}

// Calls fn(vpn, Pte&) for each entry of [start, end) in address order. fn must not set or
// clear entries of the table.
template <typename Fn>
void sim_for_each_pte(MmStruct* mm, uint64_t start, uint64_t end, Fn&& fn) {
  mm->page_table.for_each(start >> PAGE_SHIFT, end >> PAGE_SHIFT, fn);
}

inline bool sim_vma_is_anonymous(const Vma* v) { return v->vm_file == nullptr; }
inline bool sim_vma_is_accessible(const Vma* v) {
  return v->vm_flags & (VM_READ | VM_WRITE | VM_EXEC);
}

}  // namespace mmsim

#endif  // MMSIM_SIM_INTERNAL_H_
