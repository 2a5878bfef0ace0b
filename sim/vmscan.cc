// Model of mm/vmscan.c (classic two-list LRU, no MGLRU, one node, no memcg) and the rmap
// walks of mm/rmap.c that reclaim uses: folio_referenced and try_to_unmap, both of which stop
// at a VM_LOCKED VMA and mlock the folio instead.
//
// Simplifications (docs/fidelity.md "Reclaim"): reclaim runs synchronously inside the
// allocation that needs it (direct reclaim below the min watermark, a kswapd pass from low
// to high); dirty file folios are written back at once and rotated to the inactive tail;
// anonymous folios need swap, which arrives with issue 4, so without swap they are only
// activated, as on a kernel with no swap device.
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

// rmap_walk: calls fn(vma, pte) for each PTE mapping folio idx; fn returns false to stop.
template <typename Fn>
void sim_rmap_walk(Machine& m, uint32_t idx, Fn&& fn) {
  const Folio& f = m.folio(idx);
  auto visit = [&](Vma* vma) {
    if (f.index < vma->vm_pgoff || f.index >= vma->vm_pgoff + vma->pages()) return true;
    const uint64_t addr = vma->vm_start + ((f.index - vma->vm_pgoff) << PAGE_SHIFT);
    Pte* pte = vma->vm_mm->page_table.find(addr >> PAGE_SHIFT);
    if (!pte || pte->kind != Pte::kPresent || pte->folio != idx) return true;
    return fn(vma, *pte);
  };
  std::vector<Vma*> vmas;
  if (f.flags & PG_anon_mapping) {
    const auto* av = static_cast<const AnonVma*>(f.mapping);
    vmas.assign(av->vmas.begin(), av->vmas.end());
  } else {
    const auto* file = static_cast<const File*>(f.mapping);
    vmas.assign(file->i_mmap.begin(), file->i_mmap.end());
  }
  // A stable order (the kernel walks an interval tree ordered by pgoff).
  std::sort(vmas.begin(), vmas.end(), [](const Vma* a, const Vma* b) {
    return a->vm_mm->id != b->vm_mm->id ? a->vm_mm->id < b->vm_mm->id : a->vm_start < b->vm_start;
  });
  for (Vma* v : vmas) {
    if (!visit(v)) return;
  }
}

}  // namespace

// mm/rmap.c folio_referenced: counts and clears young PTEs; a VM_LOCKED VMA mlocks the folio
// and ends the walk. *vm_flags collects the flags of the VMAs seen.
int folio_referenced(Machine& m, uint32_t idx, vm_flags_t* vm_flags) {
  *vm_flags = 0;
  if (m.folio(idx).mapcount == 0) return 0;
  int referenced = 0;
  sim_rmap_walk(m, idx, [&](Vma* vma, Pte& pte) {
    if (vma->vm_flags & (VM_SEQ_READ | VM_RAND_READ)) return true;  // !vma_has_recency
    if (vma->vm_flags & VM_LOCKED) {
      TRACE_NOTE(m.trace, "folio_referenced: folio %u is in VM_LOCKED VMA [%#x, %#x): mlock it",
                 idx, vma->vm_start, vma->vm_end);
      mlock_vma_folio(m, idx, vma);
      *vm_flags |= VM_LOCKED;
      return false;
    }
    if (pte.young) {
      pte.young = false;
      referenced++;
    }
    *vm_flags |= vma->vm_flags;
    return true;
  });
  return referenced;
}

// mm/rmap.c try_to_unmap: false if a mapping remains (a VM_LOCKED VMA refuses and mlocks).
bool try_to_unmap(Machine& m, uint32_t idx) {
  sim_rmap_walk(m, idx, [&](Vma* vma, Pte& pte) {
    if (vma->vm_flags & VM_LOCKED) {
      TRACE_NOTE(m.trace, "try_to_unmap: folio %u mapped by VM_LOCKED VMA: mlock it, keep it", idx);
      mlock_vma_folio(m, idx, vma);
      return false;
    }
    Folio& f = m.folio(idx);
    MmStruct* mm = vma->vm_mm;
    if (f.flags & PG_anon_mapping) return false;  // needs a swap entry (issue 4)
    mm->rss_stat[static_cast<File*>(f.mapping)->shmem ? MM_SHMEMPAGES : MM_FILEPAGES]--;
    if (pte.dirty) f.flags |= PG_dirty;
    const uint64_t vpn = (vma->vm_start >> PAGE_SHIFT) + (f.index - vma->vm_pgoff);
    folio_remove_rmap_pte(m, idx, vma);
    mm->page_table.clear(vpn);
    return true;
  });
  return m.folio(idx).mapcount == 0;
}

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
    ++moved;
  }
  return moved;
}

// mm/filemap.c __remove_mapping + free: a clean, unmapped page-cache folio goes.
void sim_remove_mapping(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  auto* file = static_cast<File*>(f.mapping);
  file->page_cache.erase(f.index);
  m.vmstat[nr_file_pages]--;
  folio_put_last(m, idx);
}

// mm/vmscan.c shrink_folio_list; returns the folios to put back.
std::vector<uint32_t> shrink_folio_list(Machine& m, const std::vector<uint32_t>& list,
                                        ScanControl& sc) {
  std::vector<uint32_t> ret;
  for (uint32_t idx : list) {
    Folio& f = m.folio(idx);
    auto activate_locked = [&]() {
      if (!(f.flags & PG_mlocked)) {
        f.flags |= PG_active;
        m.vmstat[pgactivate]++;
      }
      ret.push_back(idx);
    };
    if (!folio_evictable(f)) {
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
      ret.push_back(idx);
      continue;
    }
    if (f.flags & PG_anon_mapping) {
      // add_to_swap fails: no swap device (issue 4).
      activate_locked();
      continue;
    }
    if (f.mapcount > 0 && !try_to_unmap(m, idx)) {
      activate_locked();
      continue;
    }
    if (f.flags & PG_dirty) {
      // pageout(): written back; rotated to the inactive tail when writeback ends.
      f.flags &= ~PG_dirty;
      f.flags |= PG_lru;
      lruvec_add_folio_tail(m, idx);
      continue;
    }
    if (f.batch_refs) {  // a batch still holds it: cannot free now
      ret.push_back(idx);
      continue;
    }
    sim_remove_mapping(m, idx);
    sc.nr_reclaimed++;
    m.vmstat[sc.kswapd ? pgsteal_kswapd : pgsteal_direct]++;
    m.vmstat[pgsteal_file]++;
  }
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
  m.vmstat[pgdeactivate] += static_cast<int64_t>(move_folios_to_lru(m, l_inactive));
}

// mm/vmscan.c inactive_is_low.
bool inactive_is_low(const Machine& m, LruList inactive_lru) {
  const int64_t inactive = m.lru_lists[inactive_lru].nr;
  const int64_t active = m.lru_lists[inactive_lru + 1].nr;
  const int64_t gb = (inactive + active) >> (30 - PAGE_SHIFT);
  const int64_t ratio = gb ? static_cast<int64_t>(std::sqrt(10.0 * static_cast<double>(gb))) : 1;
  return inactive * ratio < active;
}

// mm/vmscan.c shrink_lruvec with get_scan_count: without swap only the file lists are
// scanned; each list's target is its size >> priority.
void shrink_lruvec(Machine& m, ScanControl& sc) {
  TRACE_FN(m.trace, "shrink_lruvec");
  const bool may_deactivate_file = inactive_is_low(m, LRU_INACTIVE_FILE);
  uint64_t nr[NR_LRU_LISTS] = {};
  for (LruList l : {LRU_INACTIVE_FILE, LRU_ACTIVE_FILE}) {
    nr[l] = static_cast<uint64_t>(m.lru_lists[l].nr) >> sc.priority;
  }
  while (nr[LRU_INACTIVE_FILE] || nr[LRU_ACTIVE_FILE]) {
    for (LruList l : {LRU_INACTIVE_FILE, LRU_ACTIVE_FILE}) {
      if (!nr[l]) continue;
      const uint64_t n = std::min(nr[l], SWAP_CLUSTER_MAX);
      nr[l] -= n;
      if (l == LRU_ACTIVE_FILE) {
        if (may_deactivate_file) shrink_active_list(m, n, l);
      } else {
        shrink_inactive_list(m, n, l, sc);
      }
    }
    if (sc.nr_reclaimed >= sc.nr_to_reclaim && !sc.kswapd) break;
  }
  if (inactive_is_low(m, LRU_INACTIVE_FILE) && may_deactivate_file) {
    shrink_active_list(m, SWAP_CLUSTER_MAX, LRU_ACTIVE_FILE);
  }
}

}  // namespace

// mm/vmscan.c do_try_to_free_pages: raise the pressure (lower priority) until enough was
// reclaimed. Returns the number of pages freed.
uint64_t try_to_free_pages(Machine& m, uint64_t nr_to_reclaim, bool kswapd) {
  TRACE_FN(m.trace, kswapd ? "balance_pgdat" : "try_to_free_pages");
  ScanControl sc;
  sc.nr_to_reclaim = nr_to_reclaim;
  sc.kswapd = kswapd;
  for (sc.priority = DEF_PRIORITY; sc.priority >= 0; --sc.priority) {
    shrink_lruvec(m, sc);
    if (sc.nr_reclaimed >= sc.nr_to_reclaim) break;
  }
  TRACE_NOTE(m.trace, "reclaimed %lu of %lu pages (scanned %lu)", sc.nr_reclaimed, nr_to_reclaim,
             sc.nr_scanned);
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
