// Model of mm/vmscan.c (classic two-list LRU, no MGLRU, one node, no memcg): the reclaim
// loop, folio_check_references on the rmap walks of sim/rmap.cc, and the policy toolkit.
//
// Simplifications (docs/fidelity.md "Reclaim"): reclaim runs synchronously inside the
// allocation that needs it (direct reclaim below the min watermark, a kswapd pass from low
// to high); dirty file folios are written back at once and rotated to the inactive tail;
// anonymous folios go to swap (synchronous writeback) when a swap device has a free slot,
// and are activated when none has, as on a kernel with no swap space left.
#include <cmath>

#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

constexpr int DEF_PRIORITY = 12;
constexpr uint64_t SWAP_CLUSTER_MAX = 32;

struct ScanControl {
  uint64_t nr_to_reclaim = SWAP_CLUSTER_MAX;
  int priority = DEF_PRIORITY;
  bool kswapd = false;
  bool ignore_references = false;  // reclaim_pages (MADV_PAGEOUT)
  uint64_t nr_scanned = 0;
  uint64_t nr_reclaimed = 0;
};

bool folio_is_file_lru(const Folio& f) { return !(f.flags & PG_swapbacked); }

}  // namespace

namespace {

// mm/vmscan.c folio_check_references.
enum FolioReferences { FOLIOREF_RECLAIM, FOLIOREF_RECLAIM_CLEAN, FOLIOREF_KEEP, FOLIOREF_ACTIVATE };

FolioReferences folio_check_references(Machine& m, uint32_t idx) {
  vm_flags_t vm_flags;
  const int referenced_ptes = folio_referenced(m, idx, &vm_flags);
  Folio& f = m.folio(idx);
  const bool referenced_folio = f.flags & PG_referenced;
  f.flags &= ~PG_referenced;
  if (vm_flags & VM_LOCKED) return FOLIOREF_ACTIVATE;
  if (referenced_ptes) {
    f.flags |= PG_referenced;
    if (referenced_folio || referenced_ptes > 1) return FOLIOREF_ACTIVATE;
    if ((vm_flags & VM_EXEC) && folio_is_file_lru(f)) return FOLIOREF_ACTIVATE;
    return FOLIOREF_KEEP;
  }
  if (referenced_folio && folio_is_file_lru(f)) return FOLIOREF_RECLAIM_CLEAN;
  return FOLIOREF_RECLAIM;
}

}  // namespace

// mm/vmscan.c isolate_lru_folios: up to nr from the tail of list l.
std::vector<uint32_t> isolate_lru_folios(Machine& m, uint64_t nr, LruList l) {
  std::vector<uint32_t> out;
  while (out.size() < nr && m.lru_lists[l].tail) {
    uint32_t idx = m.lru_lists[l].tail;
    lruvec_del_folio(m, idx);
    m.folio(idx).flags &= ~PG_lru;
    out.push_back(idx);
  }
  return out;
}

// mm/vmscan.c folio_putback_lru (via the lru_add batch).
void folio_putback_lru(Machine& m, uint32_t idx) { folio_add_lru(m, idx); }

// mm/vmscan.c move_folios_to_lru: returns the folios moved onto evictable lists.
uint64_t move_folios_to_lru(Machine& m, const std::vector<uint32_t>& list) {
  uint64_t moved = 0;
  for (uint32_t idx : list) {
    Folio& f = m.folio(idx);
    if (!folio_evictable(f)) {
      folio_putback_lru(m, idx);
      continue;
    }
    lruvec_add_folio(m, idx);
    f.flags |= PG_lru;
    if (f.flags & PG_active) workingset_age_nonresident(m, 1);
    ++moved;
  }
  return moved;
}

namespace {

// mm/filemap.c __remove_mapping + free: a clean, unmapped page-cache folio goes.
void sim_remove_mapping(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  auto* file = static_cast<File*>(f.mapping);
  file->page_cache.erase(f.index);
  file->shadows[f.index] = workingset_eviction(m, idx);
  m.vmstat[nr_file_pages]--;
  folio_put_last(m, idx);
}

// mm/vmscan.c shrink_folio_list; returns the folios to put back.
std::vector<uint32_t> shrink_folio_list(Machine& m, const std::vector<uint32_t>& list,
                                        ScanControl& sc) {
  std::vector<uint32_t> ret;
  // For the explanation: what happened to the isolated folios.
  uint64_t n_culled = 0, n_activated = 0, n_kept = 0, n_swapped = 0, n_freed = 0;
  const uint64_t reclaimed_before = sc.nr_reclaimed;
  for (uint32_t idx : list) {
    Folio& f = m.folio(idx);
    auto activate_locked = [&]() {
      if (!(f.flags & PG_mlocked)) {
        f.flags |= PG_active;
        m.vmstat[pgactivate]++;
        ++n_activated;
      }
      ret.push_back(idx);
    };
    if (!folio_evictable(f)) {
      ++n_culled;
      activate_locked();
      continue;
    }
    FolioReferences references = FOLIOREF_RECLAIM;
    if (!sc.ignore_references) references = folio_check_references(m, idx);
    if (references == FOLIOREF_ACTIVATE) {
      activate_locked();
      continue;
    }
    if (references == FOLIOREF_KEEP) {
      ++n_kept;
      ret.push_back(idx);
      continue;
    }
    if ((f.flags & PG_anon_mapping) && !(f.flags & PG_swapcache)) {
      // add_to_swap: a slot (SWAP_HAS_CACHE) and the swap cache; none left → activate.
      SwpEntry e;
      if (!folio_alloc_swap(m, &e)) {
        activate_locked();
        continue;
      }
      add_to_swap_cache(m, idx, e);
      f.flags |= PG_dirty;
      TRACE_NOTE(m.trace, "folio %u added to the swap cache at slot %u:%lu", idx, e.type, e.offset);
    }
    if (f.mapcount > 0 && !try_to_unmap(m, idx)) {
      if (!folio_evictable(f)) ++n_culled;  // try_to_unmap met a VM_LOCKED VMA
      activate_locked();
      continue;
    }
    const bool anon = f.flags & PG_anon_mapping;
    if (f.flags & PG_dirty) {
      // pageout(): swap-cache folios are written to their slot and freed in this pass
      // (synchronous swap writeback); dirty file folios are written back and rotated to
      // the inactive tail for a later pass.
      f.flags &= ~PG_dirty;
      if (!anon) {
        f.flags |= PG_lru;
        lruvec_add_folio_tail(m, idx);
        continue;
      }
    }
    if (f.batch_refs) {  // a batch still holds it: cannot free now
      ret.push_back(idx);
      continue;
    }
    if (anon) {
      // __remove_mapping leaves a shadow entry where the swap-cache folio was.
      const uint64_t shadow = workingset_eviction(m, idx);
      const SwpEntry e = swp_unpack(m.folio_swap.at(idx));
      delete_from_swap_cache(m, idx);
      if (m.swap_info[e.type]->swap_map[e.offset]) m.swap_info[e.type]->shadows[e.offset] = shadow;
      folio_put_last(m, idx);
      ++n_swapped;
    } else {
      sim_remove_mapping(m, idx);
      ++n_freed;
    }
    sc.nr_reclaimed++;
    m.vmstat[sc.kswapd ? pgsteal_kswapd : pgsteal_direct]++;
    m.vmstat[anon ? pgsteal_anon : pgsteal_file]++;
  }
  TRACE_NOTE(m.trace,
             "%zu folios: %lu reclaimed (%lu swapped out, %lu file pages dropped), %lu activated "
             "(referenced or no swap slot), %lu kept (second chance), %lu unevictable "
             "(mlocked: back to the unevictable list)",
             list.size(), sc.nr_reclaimed - reclaimed_before, n_swapped, n_freed, n_activated,
             n_kept, n_culled);
  return ret;
}

// mm/vmscan.c shrink_inactive_list.
void shrink_inactive_list(Machine& m, uint64_t nr_to_scan, LruList l, ScanControl& sc) {
  TRACE_FN(m.trace, "shrink_inactive_list");
  lru_add_drain(m);
  std::vector<uint32_t> list = isolate_lru_folios(m, nr_to_scan, l);
  sc.nr_scanned += list.size();
  m.vmstat[sc.kswapd ? pgscan_kswapd : pgscan_direct] += static_cast<int64_t>(list.size());
  m.vmstat[l == LRU_INACTIVE_FILE ? pgscan_file : pgscan_anon] += static_cast<int64_t>(list.size());
  std::vector<uint32_t> back = shrink_folio_list(m, list, sc);
  move_folios_to_lru(m, back);
}

// mm/vmscan.c shrink_active_list.
void shrink_active_list(Machine& m, uint64_t nr_to_scan, LruList l) {
  TRACE_FN(m.trace, "shrink_active_list");
  lru_add_drain(m);
  std::vector<uint32_t> hold = isolate_lru_folios(m, nr_to_scan, l);
  m.vmstat[pgrefill] += static_cast<int64_t>(hold.size());
  std::vector<uint32_t> l_active, l_inactive;
  for (uint32_t idx : hold) {
    Folio& f = m.folio(idx);
    if (!folio_evictable(f)) {
      folio_putback_lru(m, idx);
      continue;
    }
    vm_flags_t vm_flags;
    if (folio_referenced(m, idx, &vm_flags)) {
      // Executable file folios get another trip around the active list.
      if ((vm_flags & VM_EXEC) && folio_is_file_lru(f)) {
        l_active.push_back(idx);
        continue;
      }
    }
    if (!folio_evictable(f)) {  // folio_referenced found a VM_LOCKED VMA
      l_inactive.push_back(idx);
      continue;
    }
    f.flags &= ~PG_active;
    f.flags |= PG_workingset;
    l_inactive.push_back(idx);
  }
  move_folios_to_lru(m, l_active);
  const uint64_t deactivated = move_folios_to_lru(m, l_inactive);
  m.vmstat[pgdeactivate] += static_cast<int64_t>(deactivated);
  TRACE_NOTE(m.trace, "%zu folios: %lu deactivated, %zu kept active (referenced executable file)",
             hold.size(), deactivated, l_active.size());
}

// mm/vmscan.c inactive_is_low.
bool inactive_is_low(const Machine& m, LruList inactive_lru) {
  const int64_t inactive = m.lru_lists[inactive_lru].nr;
  const int64_t active = m.lru_lists[inactive_lru + 1].nr;
  const int64_t gb = (inactive + active) >> (30 - PAGE_SHIFT);
  const int64_t ratio = gb ? static_cast<int64_t>(std::sqrt(10.0 * static_cast<double>(gb))) : 1;
  return inactive * ratio < active;
}

// mm/vmscan.c get_scan_count: how many folios of each evictable list to scan at this
// priority. Without swap only file; otherwise SCAN_FRACT by swappiness (refault and rotation
// costs are not modelled: both are zero), with the kernel's cache-trim and tiny-file cases.
void get_scan_count(const Machine& m, const ScanControl& sc, uint64_t nr[NR_LRU_LISTS]) {
  const bool can_swap = nr_swap_pages(m) > 0 && m.swappiness > 0;
  const uint64_t inactive_file = static_cast<uint64_t>(m.lru_lists[LRU_INACTIVE_FILE].nr);
  const uint64_t file = inactive_file + static_cast<uint64_t>(m.lru_lists[LRU_ACTIVE_FILE].nr);
  const uint64_t inactive_anon = static_cast<uint64_t>(m.lru_lists[LRU_INACTIVE_ANON].nr);
  enum { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE } balance;
  const bool cache_trim_mode =
      (inactive_file >> sc.priority) && !inactive_is_low(m, LRU_INACTIVE_FILE);
  const bool file_is_tiny = file + static_cast<uint64_t>(m.vmstat[nr_free_pages]) <= m.wmark_high &&
                            !inactive_is_low(m, LRU_INACTIVE_ANON) &&
                            (inactive_anon >> sc.priority);
  if (!can_swap) {
    balance = SCAN_FILE;
  } else if (!sc.priority) {
    balance = SCAN_EQUAL;
  } else if (file_is_tiny) {
    balance = SCAN_ANON;
  } else if (cache_trim_mode) {
    balance = SCAN_FILE;
  } else {
    balance = SCAN_FRACT;
  }
  const uint64_t ap = static_cast<uint64_t>(m.swappiness),
                 fp = 200 - static_cast<uint64_t>(m.swappiness);
  for (int l = 0; l < LRU_UNEVICTABLE; ++l) {
    const bool is_file = l >= LRU_INACTIVE_FILE;
    uint64_t scan = static_cast<uint64_t>(m.lru_lists[l].nr) >> sc.priority;
    switch (balance) {
      case SCAN_EQUAL:
        break;
      case SCAN_FRACT:
        scan = scan * (is_file ? fp : ap) / (ap + fp);
        break;
      case SCAN_FILE:
        if (!is_file) scan = 0;
        break;
      case SCAN_ANON:
        if (is_file) scan = 0;
        break;
    }
    nr[l] = scan;
  }
}

// mm/vmscan.c shrink_lruvec.
void shrink_lruvec(Machine& m, ScanControl& sc) {
  TRACE_FN(m.trace, "shrink_lruvec");
  const bool may_deactivate_anon = inactive_is_low(m, LRU_INACTIVE_ANON);
  const bool may_deactivate_file = inactive_is_low(m, LRU_INACTIVE_FILE);
  uint64_t nr[NR_LRU_LISTS] = {};
  get_scan_count(m, sc, nr);
  // Priorities at which every list is too small to scan (size >> priority == 0) stay quiet.
  if (nr[0] || nr[1] || nr[2] || nr[3])
    TRACE_NOTE(m.trace,
               "priority %d: get_scan_count says scan inactive_anon %lu, active_anon %lu, "
               "inactive_file %lu, active_file %lu (swap %s, swappiness %d)",
               sc.priority, nr[LRU_INACTIVE_ANON], nr[LRU_ACTIVE_ANON], nr[LRU_INACTIVE_FILE],
               nr[LRU_ACTIVE_FILE], nr_swap_pages(m) > 0 ? "available" : "none", m.swappiness);
  auto remaining = [&]() { return nr[0] || nr[1] || nr[2] || nr[3]; };
  while (remaining()) {
    for (int li = 0; li < LRU_UNEVICTABLE; ++li) {
      const LruList l = static_cast<LruList>(li);
      if (!nr[l]) continue;
      const uint64_t n = std::min(nr[l], SWAP_CLUSTER_MAX);
      nr[l] -= n;
      if (l == LRU_ACTIVE_ANON || l == LRU_ACTIVE_FILE) {
        if (l == LRU_ACTIVE_ANON ? may_deactivate_anon : may_deactivate_file)
          shrink_active_list(m, n, l);
      } else {
        shrink_inactive_list(m, n, l, sc);
      }
    }
    if (sc.nr_reclaimed >= sc.nr_to_reclaim && !sc.kswapd) break;
  }
  // Age the active anon list when there is swap to use (can_age_anon_pages).
  if (nr_swap_pages(m) > 0 && inactive_is_low(m, LRU_INACTIVE_ANON))
    shrink_active_list(m, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON);
}

}  // namespace

// mm/vmscan.c do_try_to_free_pages: raise the pressure (lower priority) until enough was
// reclaimed. Returns the number of pages freed. The "linux" reclaim policy.
uint64_t do_try_to_free_pages(Machine& m, uint64_t nr_to_reclaim, bool kswapd) {
  TRACE_FN(m.trace, kswapd ? "balance_pgdat" : "try_to_free_pages");
  ScanControl sc;
  sc.nr_to_reclaim = nr_to_reclaim;
  sc.kswapd = kswapd;
  TRACE_NOTE(m.trace,
             "priority %d down to 0: each pass scans about list size >> priority folios of each "
             "evictable list (the unevictable list is never scanned)",
             DEF_PRIORITY);
  for (sc.priority = DEF_PRIORITY; sc.priority >= 0; --sc.priority) {
    shrink_lruvec(m, sc);
    if (sc.nr_reclaimed >= sc.nr_to_reclaim) break;
  }
  TRACE_NOTE(m.trace, "reclaimed %lu of %lu pages (scanned %lu)", sc.nr_reclaimed, nr_to_reclaim,
             sc.nr_scanned);
  return sc.nr_reclaimed;
}

// mm/vmscan.c try_to_free_pages (and balance_pgdat for kswapd): the machine's reclaim
// policy decides what goes; "linux" is do_try_to_free_pages above.
uint64_t try_to_free_pages(Machine& m, uint64_t nr_to_reclaim, bool kswapd) {
  return m.reclaim_policy->reclaim(m, nr_to_reclaim, kswapd);
}

std::vector<uint32_t> sim_policy_isolate(Machine& m, uint64_t nr, LruList l, bool kswapd) {
  std::vector<uint32_t> list = isolate_lru_folios(m, nr, l);
  m.vmstat[kswapd ? pgscan_kswapd : pgscan_direct] += static_cast<int64_t>(list.size());
  m.vmstat[l >= LRU_INACTIVE_FILE ? pgscan_file : pgscan_anon] += static_cast<int64_t>(list.size());
  return list;
}

bool sim_policy_isolate_folio(Machine& m, uint32_t idx, bool kswapd) {
  const LruList l = static_cast<LruList>(m.folio(idx).lru);
  if (l == LRU_UNEVICTABLE || !folio_isolate_lru(m, idx)) return false;
  m.vmstat[kswapd ? pgscan_kswapd : pgscan_direct]++;
  m.vmstat[l >= LRU_INACTIVE_FILE ? pgscan_file : pgscan_anon]++;
  return true;
}

uint64_t sim_policy_evict(Machine& m, const std::vector<uint32_t>& folios, bool kswapd) {
  ScanControl sc;
  sc.nr_to_reclaim = folios.size();
  sc.kswapd = kswapd;
  sc.ignore_references = true;  // the policy has chosen; the kernel's rules still apply
  std::vector<uint32_t> back = shrink_folio_list(m, folios, sc);
  move_folios_to_lru(m, back);
  return sc.nr_reclaimed;
}

// mm/vmscan.c reclaim_pages (MADV_PAGEOUT): shrink the given isolated folios, references
// ignored; what cannot be reclaimed is put back through the lru_add batch.
void reclaim_pages(Machine& m, const std::vector<uint32_t>& folios) {
  TRACE_FN(m.trace, "reclaim_pages");
  ScanControl sc;
  sc.ignore_references = true;
  std::vector<uint32_t> back = shrink_folio_list(m, folios, sc);
  for (uint32_t idx : back) folio_putback_lru(m, idx);
}

// mm/vmscan.c folio_isolate_lru.
bool folio_isolate_lru(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if (!(f.flags & PG_lru)) return false;
  lruvec_del_folio(m, idx);
  f.flags &= ~PG_lru;
  return true;
}

}  // namespace mmsim
