// Model of mm/vmscan.c (classic two-list LRU, no MGLRU, one node, no memcg): the reclaim
// loop, folio_check_references on the rmap walks of sim/rmap.cc, and the policy toolkit.
//
// The call graph is 6.18's: direct reclaim is try_to_free_pages → do_try_to_free_pages →
// shrink_zones → shrink_node → shrink_node_memcgs → shrink_lruvec; a kswapd wake-up is
// kswapd → balance_pgdat → kswapd_shrink_node → shrink_node. The rmap walks it uses
// (folio_referenced, try_to_unmap) are in sim/rmap.cc. Simplifications
// (docs/fidelity.md "Reclaim"): both run synchronously inside the allocation that needs
// them; dirty file folios are written back at once and rotated to the inactive tail; swap
// writeback completes at once; memcg, slab shrinkers, compaction and writeback throttling
// are not modelled.
#include <cmath>

#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

bool folio_is_file_lru(const Folio& f) { return !(f.flags & PG_swapbacked); }

}  // namespace

// mm/vmscan.c folio_check_references. A VM_LOCKED mapping decides before PG_referenced is
// tested, so a folio reclaim finds locked keeps its PG_referenced; otherwise two references
// (PG_referenced and a young PTE, or two young PTEs) activate, one gives another trip round
// the inactive list, none lets the folio go.
FolioReferences folio_check_references(Machine& m, uint32_t idx) {
  vm_flags_t vm_flags;
  const int referenced_ptes = folio_referenced(m, idx, &vm_flags);
  if (vm_flags & VM_LOCKED) return FOLIOREF_ACTIVATE;
  Folio& f = m.folio(idx);
  const bool referenced_folio = f.flags & PG_referenced;
  f.flags &= ~PG_referenced;
  if (referenced_ptes) {
    f.flags |= PG_referenced;
    if (referenced_folio || referenced_ptes > 1) return FOLIOREF_ACTIVATE;
    if ((vm_flags & VM_EXEC) && folio_is_file_lru(f)) return FOLIOREF_ACTIVATE;
    return FOLIOREF_KEEP;
  }
  if (referenced_folio && folio_is_file_lru(f)) return FOLIOREF_RECLAIM_CLEAN;
  return FOLIOREF_RECLAIM;
}

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

// struct reclaim_stat: what shrink_folio_list did, for lru_note_cost.
struct ReclaimStat {
  uint64_t nr_pageout = 0;  // folios written out (to swap, or a dirty file folio)
};

// mm/filemap.c __remove_mapping + free: a clean, unmapped page-cache folio goes.
void sim_remove_mapping(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  auto* file = static_cast<File*>(f.mapping);
  file->page_cache.erase(f.index);
  file->shadows[f.index] = workingset_eviction(m, idx);
  m.vmstat[nr_file_pages]--;
  folio_put_last(m, idx);
}

// mm/vmscan.c shrink_folio_list: returns the number reclaimed; `list` is left holding the
// folios to put back.
uint64_t shrink_folio_list(Machine& m, std::vector<uint32_t>& list, ScanControl& sc,
                           ReclaimStat* stat, bool ignore_references) {
  std::vector<uint32_t> ret;
  uint64_t nr_reclaimed = 0;
  // For the explanation: what happened to the isolated folios.
  uint64_t n_culled = 0, n_activated = 0, n_kept = 0, n_swapped = 0, n_freed = 0;
  for (uint32_t idx : list) {
    Folio& f = m.folio(idx);
    sc.nr_scanned++;
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
    if (!ignore_references) references = folio_check_references(m, idx);
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
      // folio_alloc_swap: a slot (SWAP_HAS_CACHE) and the swap cache; none left → activate.
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
      stat->nr_pageout++;
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
    ++nr_reclaimed;
  }
  TRACE_NOTE(m.trace,
             "%zu folios: %lu reclaimed (%lu swapped out, %lu file pages dropped), %lu activated "
             "(referenced or no swap slot), %lu kept (second chance), %lu unevictable "
             "(mlocked: back to the unevictable list)",
             list.size(), nr_reclaimed, n_swapped, n_freed, n_activated, n_kept, n_culled);
  list.swap(ret);
  return nr_reclaimed;
}

bool is_file_lru(LruList l) { return l == LRU_INACTIVE_FILE || l == LRU_ACTIVE_FILE; }

// mm/vmscan.c shrink_inactive_list: returns the number reclaimed.
uint64_t shrink_inactive_list(Machine& m, uint64_t nr_to_scan, LruList l, ScanControl& sc) {
  TRACE_FN(m.trace, "shrink_inactive_list");
  const bool file = is_file_lru(l);
  lru_add_drain(m);
  std::vector<uint32_t> list = isolate_lru_folios(m, nr_to_scan, l);
  const uint64_t nr_scanned = list.size();
  m.vmstat[sc.kswapd ? pgscan_kswapd : pgscan_direct] += static_cast<int64_t>(nr_scanned);
  m.vmstat[file ? pgscan_file : pgscan_anon] += static_cast<int64_t>(nr_scanned);
  if (list.empty()) return 0;
  ReclaimStat stat;
  const uint64_t nr_reclaimed = shrink_folio_list(m, list, sc, &stat, false);
  move_folios_to_lru(m, list);
  m.vmstat[sc.kswapd ? pgsteal_kswapd : pgsteal_direct] += static_cast<int64_t>(nr_reclaimed);
  m.vmstat[file ? pgsteal_file : pgsteal_anon] += static_cast<int64_t>(nr_reclaimed);
  lru_note_cost(m, file, stat.nr_pageout, nr_scanned - nr_reclaimed);
  return nr_reclaimed;
}

// mm/vmscan.c shrink_active_list: deactivates all but referenced executable file folios.
void shrink_active_list(Machine& m, uint64_t nr_to_scan, LruList l) {
  TRACE_FN(m.trace, "shrink_active_list");
  const bool file = is_file_lru(l);
  lru_add_drain(m);
  std::vector<uint32_t> hold = isolate_lru_folios(m, nr_to_scan, l);
  m.vmstat[pgrefill] += static_cast<int64_t>(hold.size());
  std::vector<uint32_t> l_active, l_inactive;
  uint64_t nr_rotated = 0;
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
        ++nr_rotated;
        l_active.push_back(idx);
        continue;
      }
    }
    f.flags &= ~PG_active;
    f.flags |= PG_workingset;
    l_inactive.push_back(idx);
  }
  move_folios_to_lru(m, l_active);
  const uint64_t deactivated = move_folios_to_lru(m, l_inactive);
  m.vmstat[pgdeactivate] += static_cast<int64_t>(deactivated);
  lru_note_cost(m, file, 0, nr_rotated);
  TRACE_NOTE(m.trace, "%zu folios: %lu deactivated, %zu kept active (referenced executable file)",
             hold.size(), deactivated, l_active.size());
}

// mm/vmscan.c shrink_list: an active list is aged only when prepare_scan_control allowed it.
uint64_t shrink_list(Machine& m, LruList l, uint64_t nr_to_scan, ScanControl& sc) {
  if (l == LRU_ACTIVE_ANON || l == LRU_ACTIVE_FILE) {
    if (sc.may_deactivate & (1u << (is_file_lru(l) ? 1 : 0)))
      shrink_active_list(m, nr_to_scan, l);
    else
      sc.skipped_deactivate = true;
    return 0;
  }
  return shrink_inactive_list(m, nr_to_scan, l, sc);
}

// mm/vmscan.c can_reclaim_anon_pages (global reclaim: free swap) and can_age_anon_pages
// (any swap at all); no demotion targets.
bool can_reclaim_anon_pages(const Machine& m) { return nr_swap_pages(m) > 0; }
bool can_age_anon_pages(const Machine& m) { return total_swap_pages(m) > 0; }

// mm/vmscan.c calculate_pressure_balance: anon and file pressure in inverse proportion to
// their recent cost, weighted by swappiness (100: equal IO cost).
void calculate_pressure_balance(const ScanControl& sc, int swappiness, uint64_t fraction[2],
                                uint64_t* denominator) {
  uint64_t total_cost = sc.anon_cost + sc.file_cost;
  const uint64_t anon_cost = total_cost + sc.anon_cost;
  const uint64_t file_cost = total_cost + sc.file_cost;
  total_cost = anon_cost + file_cost;
  const uint64_t ap = static_cast<uint64_t>(swappiness) * (total_cost + 1) / (anon_cost + 1);
  const uint64_t fp =
      static_cast<uint64_t>(MAX_SWAPPINESS - swappiness) * (total_cost + 1) / (file_cost + 1);
  fraction[0] = ap;
  fraction[1] = fp;
  *denominator = ap + fp;
}

}  // namespace

// mm/vmscan.c inactive_is_low.
bool inactive_is_low(const Machine& m, LruList inactive_lru) {
  const int64_t inactive = m.lru_lists[inactive_lru].nr;
  const int64_t active = m.lru_lists[inactive_lru + 1].nr;
  const int64_t gb = (inactive + active) >> (30 - PAGE_SHIFT);
  const int64_t ratio = gb ? static_cast<int64_t>(std::sqrt(10.0 * static_cast<double>(gb))) : 1;
  return inactive * ratio < active;
}

// mm/vmscan.c prepare_scan_control: the cost snapshot, which active lists may be aged (a
// refault since the last snapshot_refaults, or an inactive list too small), cache-trim mode
// and the tiny-file case.
void prepare_scan_control(Machine& m, ScanControl& sc) {
  sc.anon_cost = m.anon_cost;
  sc.file_cost = m.file_cost;
  if (!sc.force_deactivate) {
    sc.may_deactivate = 0;
    if (m.vmstat[workingset_activate_anon] != m.refaults[0] ||
        inactive_is_low(m, LRU_INACTIVE_ANON))
      sc.may_deactivate |= DEACTIVATE_ANON;
    if (m.vmstat[workingset_activate_file] != m.refaults[1] ||
        inactive_is_low(m, LRU_INACTIVE_FILE))
      sc.may_deactivate |= DEACTIVATE_FILE;
  } else {
    sc.may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
  }
  const uint64_t inactive_file = static_cast<uint64_t>(m.lru_lists[LRU_INACTIVE_FILE].nr);
  sc.cache_trim_mode = (inactive_file >> sc.priority) && !(sc.may_deactivate & DEACTIVATE_FILE) &&
                       !sc.no_cache_trim_mode;
  const uint64_t file = inactive_file + static_cast<uint64_t>(m.lru_lists[LRU_ACTIVE_FILE].nr);
  const uint64_t free = static_cast<uint64_t>(std::max<int64_t>(0, m.vmstat[nr_free_pages]));
  const uint64_t anon = static_cast<uint64_t>(m.lru_lists[LRU_INACTIVE_ANON].nr);
  sc.file_is_tiny = file + free <= m.wmark_high && !(sc.may_deactivate & DEACTIVATE_ANON) &&
                    (anon >> sc.priority);
}

// mm/vmscan.c get_scan_count: how many folios of each evictable list to scan at this
// priority (size >> priority, split between anon and file by the scan balance).
void get_scan_count(const Machine& m, const ScanControl& sc, uint64_t nr[NR_LRU_LISTS]) {
  const int swappiness = m.swappiness;
  uint64_t fraction[2] = {0, 0};
  uint64_t denominator = 1;
  ScanBalance scan_balance;
  if (!sc.may_swap || !can_reclaim_anon_pages(m)) {
    scan_balance = SCAN_FILE;
  } else if (!sc.priority && swappiness) {
    scan_balance = SCAN_EQUAL;  // close to OOM: no balancing cleverness
  } else if (sc.file_is_tiny) {
    scan_balance = SCAN_ANON;
  } else if (sc.cache_trim_mode) {
    scan_balance = SCAN_FILE;
  } else {
    scan_balance = SCAN_FRACT;
    calculate_pressure_balance(sc, swappiness, fraction, &denominator);
  }
  for (int l = 0; l < LRU_UNEVICTABLE; ++l) {
    const bool file = is_file_lru(static_cast<LruList>(l));
    uint64_t scan = static_cast<uint64_t>(m.lru_lists[l].nr) >> sc.priority;
    switch (scan_balance) {
      case SCAN_EQUAL:
        break;
      case SCAN_FRACT:
        scan = scan * fraction[file ? 1 : 0] / denominator;
        break;
      case SCAN_FILE:
      case SCAN_ANON:
        if ((scan_balance == SCAN_FILE) != file) scan = 0;
        break;
    }
    nr[l] = scan;
  }
}

// mm/vmscan.c shrink_lruvec: scans the four evictable lists SWAP_CLUSTER_MAX at a time until
// get_scan_count's targets are used up. Once nr_to_reclaim is reached (except in global
// direct reclaim at DEF_PRIORITY, which finishes its batch), it stops the type with less left
// to scan and trims the other to the share of its target the first had not yet scanned.
void shrink_lruvec(Machine& m, ScanControl& sc) {
  TRACE_FN(m.trace, "shrink_lruvec");
  uint64_t nr[NR_LRU_LISTS] = {};
  get_scan_count(m, sc, nr);
  uint64_t targets[NR_LRU_LISTS];
  std::copy(nr, nr + NR_LRU_LISTS, targets);
  // Priorities at which every list is too small to scan (size >> priority == 0) stay quiet.
  if (nr[0] || nr[1] || nr[2] || nr[3])
    TRACE_NOTE(m.trace,
               "priority %d: get_scan_count says scan inactive_anon %lu, active_anon %lu, "
               "inactive_file %lu, active_file %lu (swap %s, swappiness %d)",
               sc.priority, nr[LRU_INACTIVE_ANON], nr[LRU_ACTIVE_ANON], nr[LRU_INACTIVE_FILE],
               nr[LRU_ACTIVE_FILE], nr_swap_pages(m) > 0 ? "available" : "none", m.swappiness);
  const uint64_t nr_to_reclaim = sc.nr_to_reclaim;
  const bool proportional_reclaim = !sc.kswapd && sc.priority == DEF_PRIORITY;
  uint64_t nr_reclaimed = 0;
  while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
    for (int li = 0; li < LRU_UNEVICTABLE; ++li) {
      const LruList l = static_cast<LruList>(li);
      if (!nr[l]) continue;
      const uint64_t nr_to_scan = std::min(nr[l], SWAP_CLUSTER_MAX);
      nr[l] -= nr_to_scan;
      nr_reclaimed += shrink_list(m, l, nr_to_scan, sc);
    }
    if (nr_reclaimed < nr_to_reclaim || proportional_reclaim) continue;
    const uint64_t nr_file = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE];
    const uint64_t nr_anon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON];
    if (!nr_file || !nr_anon) break;
    int lru;  // the inactive list of the type to stop
    uint64_t percentage;
    if (nr_file > nr_anon) {
      lru = LRU_INACTIVE_ANON;
      percentage = nr_anon * 100 / (targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1);
    } else {
      lru = LRU_INACTIVE_FILE;
      percentage = nr_file * 100 / (targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1);
    }
    nr[lru] = nr[lru + 1] = 0;
    // The other type keeps the share of its target the stopped one had left unscanned.
    lru = lru == LRU_INACTIVE_FILE ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
    for (int k = lru; k <= lru + 1; ++k) {
      const uint64_t scanned = targets[k] - nr[k];
      nr[k] = targets[k] * (100 - percentage) / 100;
      nr[k] -= std::min(nr[k], scanned);
    }
    TRACE_NOTE(m.trace, "reclaimed %lu of %lu: stop scanning %s, keep %lu%% of the %s target",
               nr_reclaimed, nr_to_reclaim, lru == LRU_INACTIVE_FILE ? "anon" : "file",
               100 - percentage, lru == LRU_INACTIVE_FILE ? "file" : "anon");
  }
  sc.nr_reclaimed += nr_reclaimed;
  // Rebalance the anon lists even when no anon folio was to be evicted.
  if (can_age_anon_pages(m) && inactive_is_low(m, LRU_INACTIVE_ANON))
    shrink_active_list(m, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON);
}

namespace {

// mm/vmscan.c shrink_node_memcgs: with no memory cgroups the node's one lruvec (slab
// shrinkers are not modelled).
void shrink_node_memcgs(Machine& m, ScanControl& sc) { shrink_lruvec(m, sc); }

// mm/vmscan.c should_continue_reclaim: only reclaim for compaction (in_reclaim_compaction:
// an order above 0) goes round again; the model allocates order-0 folios only.
bool should_continue_reclaim(const ScanControl& sc) { return sc.order > 0; }

// mm/vmscan.c snapshot_refaults: the workingset activations seen at the end of a reclaim
// run; a later refault makes prepare_scan_control age the active list of its type.
void snapshot_refaults(Machine& m) {
  m.refaults[0] = m.vmstat[workingset_activate_anon];
  m.refaults[1] = m.vmstat[workingset_activate_file];
}

}  // namespace

// mm/vmscan.c shrink_node.
void shrink_node(Machine& m, ScanControl& sc) {
  TRACE_FN(m.trace, "shrink_node");
  uint64_t nr_node_reclaimed;
  do {
    const uint64_t nr_reclaimed = sc.nr_reclaimed;
    prepare_scan_control(m, sc);
    shrink_node_memcgs(m, sc);
    nr_node_reclaimed = sc.nr_reclaimed - nr_reclaimed;
  } while (nr_node_reclaimed && should_continue_reclaim(sc));
  // Progress revives a kswapd that gave up on the node.
  if (nr_node_reclaimed)
    m.kswapd_failures = 0;
  else if (sc.cache_trim_mode)
    sc.cache_trim_mode_failed = true;
}

// mm/vmscan.c do_try_to_free_pages (direct reclaim, from try_to_free_pages): shrink the node
// at priorities DEF_PRIORITY down to 0 until nr_to_reclaim pages are freed; if none were, go
// round again as a full memcg walk, then with forced deactivation. A kswapd request goes to
// wakeup_kswapd instead. Returns the number of pages freed. The "linux" reclaim policy.
uint64_t do_try_to_free_pages(Machine& m, uint64_t nr_to_reclaim, bool kswapd) {
  if (kswapd) return wakeup_kswapd(m);
  TRACE_FN(m.trace, "try_to_free_pages");
  ScanControl sc;
  sc.nr_to_reclaim = nr_to_reclaim;
  TRACE_NOTE(m.trace,
             "priority %d down to 0: each pass scans about list size >> priority folios of each "
             "evictable list (the unevictable list is never scanned)",
             DEF_PRIORITY);
  for (;;) {
    m.vmstat[allocstall_movable]++;
    do {
      sc.nr_scanned = 0;
      shrink_node(m, sc);  // shrink_zones: one node
      if (sc.nr_reclaimed >= sc.nr_to_reclaim) break;
    } while (--sc.priority >= 0);
    snapshot_refaults(m);
    if (sc.nr_reclaimed) break;
    // Partial memcg walks may miss memory: retry with a full walk (the same lruvec here).
    if (!sc.memcg_full_walk) {
      sc.memcg_full_walk = true;
    } else if (sc.skipped_deactivate) {
      sc.force_deactivate = true;
      sc.skipped_deactivate = false;
    } else {
      break;
    }
    sc.priority = DEF_PRIORITY;
  }
  TRACE_NOTE(m.trace, "reclaimed %lu of %lu pages", sc.nr_reclaimed, nr_to_reclaim);
  return sc.nr_reclaimed;
}

namespace {

// mm/vmscan.c kswapd_age_node: age the active anon list ahead of need.
void kswapd_age_node(Machine& m) {
  if (!can_age_anon_pages(m) || !inactive_is_low(m, LRU_INACTIVE_ANON)) return;
  shrink_active_list(m, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON);
}

}  // namespace

// mm/vmscan.c pgdat_balanced: free memory above the high watermark (order 0, one zone).
bool pgdat_balanced(const Machine& m) {
  return m.vmstat[nr_free_pages] > static_cast<int64_t>(m.wmark_high);
}

// mm/vmscan.c kswapd_shrink_node: one shrink_node aimed at the high watermark's worth of
// pages; true when it scanned (or freed) that many, so that the priority need not rise.
bool kswapd_shrink_node(Machine& m, ScanControl& sc) {
  const uint64_t nr_reclaimed = sc.nr_reclaimed;
  sc.nr_to_reclaim = std::max(m.wmark_high, SWAP_CLUSTER_MAX);
  shrink_node(m, sc);
  return std::max(sc.nr_scanned, sc.nr_reclaimed - nr_reclaimed) >= sc.nr_to_reclaim;
}

// mm/vmscan.c balance_pgdat (order 0, no watermark boost): from DEF_PRIORITY, shrink the node
// until it is balanced, raising the priority (lowering sc.priority) only when a pass scanned
// less than its target or freed nothing. Returns the pages freed.
uint64_t balance_pgdat(Machine& m) {
  TRACE_FN(m.trace, "balance_pgdat");
  m.vmstat[pageoutrun]++;
  ScanControl sc;
  sc.kswapd = true;
  for (;;) {
    sc.priority = DEF_PRIORITY;
    do {
      if (pgdat_balanced(m)) break;
      kswapd_age_node(m);
      sc.nr_scanned = 0;
      const uint64_t nr_reclaimed = sc.nr_reclaimed;
      const bool raise_priority = !kswapd_shrink_node(m, sc);
      TRACE_NOTE(m.trace, "priority %d: scanned %lu, freed %lu (free %ld, high watermark %lu)",
                 sc.priority, sc.nr_scanned, sc.nr_reclaimed - nr_reclaimed,
                 m.vmstat[nr_free_pages], m.wmark_high);
      if (raise_priority || sc.nr_reclaimed == nr_reclaimed) sc.priority--;
    } while (sc.priority >= 1);
    // Restart once without cache-trim mode if it was what kept the whole loop from freeing.
    if (!sc.nr_reclaimed && sc.priority < 1 && !sc.no_cache_trim_mode &&
        sc.cache_trim_mode_failed) {
      sc.no_cache_trim_mode = true;
      continue;
    }
    break;
  }
  if (!sc.nr_reclaimed) m.kswapd_failures++;
  snapshot_refaults(m);
  return sc.nr_reclaimed;
}

// mm/vmscan.c wakeup_kswapd and the kswapd thread it wakes: nothing when the node is balanced
// or hopeless (MAX_RECLAIM_RETRIES balance_pgdat runs freed nothing); otherwise balance_pgdat
// until kswapd_try_to_sleep would let it sleep. The model runs kswapd synchronously, inside
// the allocation that woke it. Returns the pages freed.
uint64_t wakeup_kswapd(Machine& m) {
  uint64_t nr_reclaimed = 0;
  while (m.kswapd_failures < MAX_RECLAIM_RETRIES && !pgdat_balanced(m))
    nr_reclaimed += balance_pgdat(m);
  return nr_reclaimed;
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
  // The policy has chosen (references not consulted); the kernel's rules still apply. Each
  // type goes through shrink_folio_list on its own, so that pgsteal_anon/file count as
  // shrink_inactive_list counts them.
  uint64_t nr_reclaimed = 0;
  std::vector<uint32_t> lists[2];
  for (uint32_t idx : folios) lists[folio_is_file_lru(m.folio(idx)) ? 1 : 0].push_back(idx);
  for (bool file : {false, true}) {
    std::vector<uint32_t>& list = lists[file ? 1 : 0];
    if (list.empty()) continue;
    ReclaimStat stat;
    const uint64_t n = shrink_folio_list(m, list, sc, &stat, /*ignore_references=*/true);
    move_folios_to_lru(m, list);
    m.vmstat[kswapd ? pgsteal_kswapd : pgsteal_direct] += static_cast<int64_t>(n);
    m.vmstat[file ? pgsteal_file : pgsteal_anon] += static_cast<int64_t>(n);
    nr_reclaimed += n;
  }
  return nr_reclaimed;
}

// mm/vmscan.c reclaim_pages (MADV_PAGEOUT): shrink the given isolated folios, references
// ignored, counted neither as scanned nor as stolen; what cannot be reclaimed is put back
// through the lru_add batch.
void reclaim_pages(Machine& m, const std::vector<uint32_t>& folios) {
  TRACE_FN(m.trace, "reclaim_pages");
  ScanControl sc;
  ReclaimStat stat;
  std::vector<uint32_t> list = folios;
  shrink_folio_list(m, list, sc, &stat, /*ignore_references=*/true);
  for (uint32_t idx : list) folio_putback_lru(m, idx);
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
