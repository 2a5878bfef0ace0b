// What a reclaim policy (include/mmsim/reclaim_policy.h, one file under sim/policy/) may call:
// the kernel's own steps of reclaim, and three helpers that take and evict the folios a
// policy chose with the kernel's rules and counters. A policy includes this and
// mmsim/reclaim_policy.h, nothing from sim/ (the build's include paths refuse it); it reads
// the LRU lists through Machine::lru_lists and Machine::folio (lru_next, lru_prev, flags).
#ifndef MMSIM_POLICY_TOOLKIT_H_
#define MMSIM_POLICY_TOOLKIT_H_

#include <cstdint>
#include <vector>

#include "mmsim/machine.h"
#include "mmsim/mm_types.h"

namespace mmsim {

// ---- kernel functions (sim/swap.cc, sim/swapfile.cc, sim/vmscan.cc, sim/rmap.cc) ----
// mm/swap.c lru_add_drain: this CPU's folio batches, then its mlock batch.
void lru_add_drain(Machine& m);
// include/linux/mm_inline.h: link a folio at the head (most recent) or the tail of the list
// its flags imply, or unlink it (the caller keeps PG_lru consistent).
void lruvec_add_folio(Machine& m, uint32_t folio);
void lruvec_add_folio_tail(Machine& m, uint32_t folio);
void lruvec_del_folio(Machine& m, uint32_t folio);
// mm/swapfile.c: free swap slots (get_nr_swap_pages).
uint64_t nr_swap_pages(const Machine& m);
// mm/rmap.c folio_referenced: young PTEs found (and cleared) over every mapping; *vm_flags
// collects the flags of the VMAs that referenced it (VM_LOCKED among them).
int folio_referenced(Machine& m, uint32_t folio, vm_flags_t* vm_flags);
// Up to nr folios from the tail of list l, taken off it (PG_lru cleared).
std::vector<uint32_t> isolate_lru_folios(Machine& m, uint64_t nr, LruList l);
// Isolated folios back onto the lists their flags imply (head); unevictable ones through
// the lru_add batch. Returns how many went onto evictable lists.
uint64_t move_folios_to_lru(Machine& m, const std::vector<uint32_t>& list);
// The kernel's reclaim (the "linux" policy): direct reclaim of nr_to_reclaim pages, or with
// kswapd set a kswapd wake-up (wakeup_kswapd, which sets its own target).
uint64_t do_try_to_free_pages(Machine& m, uint64_t nr_to_reclaim, bool kswapd);

// ---- the policies' helpers (sim/vmscan.cc; docs/policies.md) ----
// isolate_lru_folios from the tail of l, counted as scanned (pgscan_kswapd/direct and
// pgscan_anon/file) as shrink_inactive_list counts them.
std::vector<uint32_t> sim_policy_isolate(Machine& m, uint64_t nr, LruList l, bool kswapd);
// Takes one folio off its evictable list, counted as scanned; false if it is on none.
bool sim_policy_isolate_folio(Machine& m, uint32_t folio, bool kswapd);
// shrink_folio_list on isolated folios the policy chose, references not consulted (as
// reclaim_pages does): unevictable folios are culled, an anonymous folio is added to swap
// first (none left: it stays), try_to_unmap refuses a VM_LOCKED mapping and mlocks the
// folio, a folio a per-CPU batch holds stays, a dirty file folio is written back and rotated
// to the inactive tail. What is not freed goes back with move_folios_to_lru (failed ones
// activated, as the kernel's activate_locked does). Returns the number freed.
uint64_t sim_policy_evict(Machine& m, const std::vector<uint32_t>& folios, bool kswapd);

}  // namespace mmsim

#endif  // MMSIM_POLICY_TOOLKIT_H_
