// Model of mm/swap.c: the LRU lists of the node's lruvec, the per-CPU folio batches that feed
// them (lru_add, lru_deactivate, lru_activate), lru_add_drain, and folio_mark_accessed.
//
// Each batch holds up to FOLIO_BATCH_SIZE (31) folios and a reference on each; it is drained
// when full and by lru_add_drain() on its CPU. While a folio sits in lru_add it is on no list
// (PG_lru clear), exactly as /proc/kpageflags shows on the real kernel.
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

VmStatItem sim_lru_counter(LruList l) {
  switch (l) {
    case LRU_INACTIVE_ANON:
      return nr_inactive_anon;
    case LRU_ACTIVE_ANON:
      return nr_active_anon;
    case LRU_INACTIVE_FILE:
      return nr_inactive_file;
    case LRU_ACTIVE_FILE:
      return nr_active_file;
    default:
      return nr_unevictable;
  }
}

}  // namespace

// include/linux/mm_inline.h folio_lru_list.
LruList folio_lru_list(const Folio& f) {
  if (f.flags & PG_unevictable) return LRU_UNEVICTABLE;
  const bool file = !(f.flags & PG_swapbacked);
  const bool active = f.flags & PG_active;
  return static_cast<LruList>((file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON) + (active ? 1 : 0));
}

// mm/internal.h folio_evictable.
bool folio_evictable(const Folio& f) {
  if (f.flags & PG_mlocked) return false;
  if (!(f.flags & PG_anon_mapping) && f.mapping && static_cast<const File*>(f.mapping)->unevictable)
    return false;
  return true;
}

// include/linux/mm_inline.h lruvec_add_folio / lruvec_add_folio_tail: link the folio at
// the head (most recent) or the tail of the list its flags imply.
static void sim_lruvec_add(Machine& m, uint32_t idx, bool tail) {
  Folio& f = m.folio(idx);
  const LruList l = folio_lru_list(f);
  LruListHead& h = m.lru_lists[l];
  f.lru = l;
  m.vmstat[sim_lru_counter(l)]++;
  h.nr++;
  if (l == LRU_UNEVICTABLE) return;  // no real list: lru_prev holds mlock_count
  uint32_t& end = tail ? h.tail : h.head;
  uint32_t& other_end = tail ? h.head : h.tail;
  f.lru_prev = tail ? end : 0;
  f.lru_next = tail ? 0 : end;
  if (end) (tail ? m.folio(end).lru_next : m.folio(end).lru_prev) = idx;
  end = idx;
  if (!other_end) other_end = idx;
}

void lruvec_add_folio(Machine& m, uint32_t idx) { sim_lruvec_add(m, idx, false); }
void lruvec_add_folio_tail(Machine& m, uint32_t idx) { sim_lruvec_add(m, idx, true); }

void lruvec_del_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  LruListHead& h = m.lru_lists[f.lru];
  h.nr--;
  m.vmstat[sim_lru_counter(static_cast<LruList>(f.lru))]--;
  if (f.lru == LRU_UNEVICTABLE) return;
  if (f.lru_prev) {
    m.folio(f.lru_prev).lru_next = f.lru_next;
  } else {
    h.head = f.lru_next;
  }
  if (f.lru_next) {
    m.folio(f.lru_next).lru_prev = f.lru_prev;
  } else {
    h.tail = f.lru_prev;
  }
  f.lru_prev = f.lru_next = 0;
}

// The batch dropped its reference (folio_batch_release → folios_put).
void sim_batch_put(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  f.batch_refs--;
  folio_put(m, idx);
}

void folio_put(Machine& m, uint32_t idx) {
  const Folio& f = m.folio(idx);
  if ((f.flags & PG_anon_mapping) && f.mapcount == 0 && f.batch_refs == 0 &&
      !(f.flags & PG_swapcache))
    folio_put_last(m, idx);
}

// mm/swap.c lru_add (the lru_add batch's move function).
static void lru_add(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  const bool was_unevictable = f.flags & PG_unevictable;
  f.flags &= ~PG_unevictable;
  if (folio_evictable(f)) {
    if (was_unevictable) m.vmstat[unevictable_pgs_rescued]++;
  } else {
    f.flags &= ~PG_active;
    f.flags |= PG_unevictable;
    // lru_add underestimates on purpose; reclaim corrects the count.
    f.mlock_count() = 0;
    if (!was_unevictable) m.vmstat[unevictable_pgs_culled]++;
  }
  lruvec_add_folio(m, idx);
  f.flags |= PG_lru;
}

// folio_batch_move_lru for the other batches: folios that lost PG_lru meanwhile are skipped.
template <typename Fn>
static void sim_move_batch(Machine& m, FolioBatch& b, Fn&& move_fn) {
  const uint8_t n = b.nr;
  b.nr = 0;
  for (uint8_t i = 0; i < n; ++i) {
    uint32_t idx = b.folios[i];
    Folio& f = m.folio(idx);
    if (f.flags & PG_lru) {
      f.flags &= ~PG_lru;
      move_fn(idx);
      m.folio(idx).flags |= PG_lru;
    }
    sim_batch_put(m, idx);
  }
}

// The lru_add batch's move (folio_batch_move_lru with lru_add), then its references dropped.
void sim_drain_lru_add(Machine& m, FolioBatch& b) {
  const uint8_t n = b.nr;
  b.nr = 0;
  for (uint8_t i = 0; i < n; ++i) lru_add(m, b.folios[i]);
  for (uint8_t i = 0; i < n; ++i) sim_batch_put(m, b.folios[i]);
}

// mm/swap.c lru_deactivate: to the inactive list head, active and referenced cleared.
static void lru_deactivate(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if (!(f.flags & PG_active) || (f.flags & PG_unevictable)) return;
  lruvec_del_folio(m, idx);
  f.flags &= ~(PG_active | PG_referenced);
  lruvec_add_folio(m, idx);
  m.vmstat[pgdeactivate]++;
}

// mm/swap.c lru_activate.
static void lru_activate(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if ((f.flags & PG_active) || (f.flags & PG_unevictable)) return;
  lruvec_del_folio(m, idx);
  f.flags |= PG_active;
  lruvec_add_folio(m, idx);
  m.vmstat[pgactivate]++;
}

static bool sim_batch_add(Machine& m, FolioBatch& b, uint32_t idx, uint8_t tag = 0) {
  m.folio(idx).batch_refs++;
  b.folios[b.nr] = idx;
  b.tags[b.nr] = tag;
  return ++b.nr < FOLIO_BATCH_SIZE;  // false: the batch is full and must be drained
}

// mm/swap.c folio_add_lru: queue on this CPU's lru_add batch.
void folio_add_lru(Machine& m, uint32_t idx) {
  CpuFbatches& fb = m.cpu_fbatches[m.cpu];
  if (!sim_batch_add(m, fb.lru_add, idx)) sim_drain_lru_add(m, fb.lru_add);
}

// mm/swap.c folio_add_lru_vma: new folios of a VM_LOCKED VMA go straight to the mlock path.
void folio_add_lru_vma(Machine& m, uint32_t idx, const Vma* vma) {
  if ((vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED) {
    mlock_new_folio(m, idx);
  } else {
    folio_add_lru(m, idx);
  }
}

// mm/swap.c folio_deactivate (MADV_COLD).
void folio_deactivate(Machine& m, uint32_t idx) {
  const Folio& f = m.folio(idx);
  if (!(f.flags & PG_lru) || (f.flags & PG_unevictable) || !(f.flags & PG_active)) return;
  CpuFbatches& fb = m.cpu_fbatches[m.cpu];
  if (!sim_batch_add(m, fb.lru_deactivate, idx))
    sim_move_batch(m, fb.lru_deactivate, [&](uint32_t i) { lru_deactivate(m, i); });
}

// mm/swap.c folio_activate.
static void folio_activate(Machine& m, uint32_t idx) {
  const Folio& f = m.folio(idx);
  if ((f.flags & PG_active) || (f.flags & PG_unevictable)) return;
  CpuFbatches& fb = m.cpu_fbatches[m.cpu];
  if (!sim_batch_add(m, fb.lru_activate, idx))
    sim_move_batch(m, fb.lru_activate, [&](uint32_t i) { lru_activate(m, i); });
}

// mm/swap.c folio_mark_accessed: referenced first, active on the second access.
void folio_mark_accessed(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if (!(f.flags & PG_referenced)) {
    f.flags |= PG_referenced;
  } else if (f.flags & PG_unevictable) {
    // The unevictable list is never rotated.
  } else if (!(f.flags & PG_active)) {
    if (f.flags & PG_lru) {
      folio_activate(m, idx);
    } else {
      // __lru_cache_activate_folio: still in this CPU's lru_add batch → active at drain.
      const FolioBatch& b = m.cpu_fbatches[m.cpu].lru_add;
      for (uint8_t i = b.nr; i-- > 0;) {
        if (b.folios[i] == idx) {
          f.flags |= PG_active;
          break;
        }
      }
    }
    f.flags &= ~PG_referenced;
    workingset_activation(m, idx);
  }
}

// mm/swap.c lru_add_drain on the current CPU: lru_add, deactivate, activate, then the mlock
// batch (mlock_drain_local). The order matters (docs/fidelity.md).
void lru_add_drain(Machine& m) {
  CpuFbatches& fb = m.cpu_fbatches[m.cpu];
  if (fb.lru_add.nr) sim_drain_lru_add(m, fb.lru_add);
  if (fb.lru_deactivate.nr)
    sim_move_batch(m, fb.lru_deactivate, [&](uint32_t i) { lru_deactivate(m, i); });
  if (fb.lru_activate.nr)
    sim_move_batch(m, fb.lru_activate, [&](uint32_t i) { lru_activate(m, i); });
  mlock_drain_local(m);
}

void lru_add_drain_all(Machine& m) {
  TRACE_FN(m.trace, "lru_add_drain_all");
  const int saved = m.cpu;
  for (int c = 0; c < static_cast<int>(m.cpu_fbatches.size()); ++c) {
    m.cpu = c;
    lru_add_drain(m);
  }
  m.cpu = saved;
}

// The last reference went (mm/swap.c __folio_put → free_unref_folios, with
// mm/page_alloc.c free_pages_prepare clearing a stale PG_mlocked).
void folio_put_last(Machine& m, uint32_t idx) {
  if (m.folio(idx).flags & PG_swapcache) delete_from_swap_cache(m, idx);
  Folio& f = m.folio(idx);
  if (f.flags & PG_lru) lruvec_del_folio(m, idx);
  if (f.flags & PG_mlocked) {
    m.vmstat[nr_mlock]--;
    m.vmstat[unevictable_pgs_cleared]++;
  }
  if (f.flags & PG_anon_mapping) {
    auto* av = static_cast<AnonVma*>(f.mapping);
    av->refcount--;
    m.put_anon_vma(av);
  }
  m.free_folio(idx);
}

// mm/swap.c lru_note_cost_unlock_irq: a folio written out (or refaulting) costs
// SWAP_CLUSTER_MAX, a rotation 1; both costs halve once they pass a quarter of the LRU, so
// recent events weigh most. get_scan_count scans each type in inverse proportion to its cost.
void lru_note_cost(Machine& m, bool file, uint64_t nr_io, uint64_t nr_rotated) {
  const uint64_t cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated;
  if (!cost) return;
  (file ? m.file_cost : m.anon_cost) += cost;
  uint64_t lrusize = 0;
  for (int l = 0; l < LRU_UNEVICTABLE; ++l) lrusize += static_cast<uint64_t>(m.lru_lists[l].nr);
  if (m.file_cost + m.anon_cost > lrusize / 4) {
    m.file_cost /= 2;
    m.anon_cost /= 2;
  }
}

// mm/swap.c lru_note_cost_refault: a refault of a folio that was in the workingset.
void lru_note_cost_refault(Machine& m, uint32_t folio) {
  lru_note_cost(m, !(m.folio(folio).flags & PG_swapbacked), 1, 0);
}

}  // namespace mmsim
