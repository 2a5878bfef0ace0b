// Model of mm/swap.c: putting folios on and taking them off the LRU lists of the one node.
//
// Simplification (docs/fidelity.md "LRU batches"): the per-CPU folio batches are drained at
// once, so a folio is on its list as soon as it is added; the lists themselves are counted
// (nr_* in vmstat), not ordered.
#include "sim/internal.h"

namespace mmsim {

namespace {

// include/linux/mm_inline.h folio_lru_list, as the vmstat item that counts that list.
VmStatItem sim_lru_counter(const Folio& f) {
  if (f.flags & PG_unevictable) return nr_unevictable;
  const bool anon = f.flags & PG_swapbacked;
  const bool active = f.flags & PG_active;
  if (anon) return active ? nr_active_anon : nr_inactive_anon;
  return active ? nr_active_file : nr_inactive_file;
}

}  // namespace

// mm/internal.h folio_evictable.
bool folio_evictable(const Folio& f) {
  if (f.flags & PG_mlocked) return false;
  if (!(f.flags & PG_anon_mapping) && f.mapping &&
      static_cast<const File*>(f.mapping)->unevictable)
    return false;
  return true;
}

void lruvec_add_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  f.flags |= PG_lru;
  m.vmstat[sim_lru_counter(f)]++;
}

void lruvec_del_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  m.vmstat[sim_lru_counter(f)]--;
  f.flags &= ~PG_lru;
}

// mm/swap.c folio_add_lru → lru_add (batch drained at once).
void folio_add_lru(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  const bool was_unevictable = f.flags & PG_unevictable;
  if (folio_evictable(f)) {
    f.flags &= ~PG_unevictable;
    if (was_unevictable) m.vmstat[unevictable_pgs_rescued]++;
  } else {
    f.flags &= ~PG_active;
    f.flags |= PG_unevictable;
    // lru_add underestimates on purpose; reclaim corrects the count.
    f.mlock_count = 0;
    if (!was_unevictable) m.vmstat[unevictable_pgs_culled]++;
  }
  lruvec_add_folio(m, idx);
}

// mm/swap.c folio_add_lru_vma: new folios of a VM_LOCKED VMA go straight to the mlock path.
void folio_add_lru_vma(Machine& m, uint32_t idx, const Vma* vma) {
  if ((vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED) {
    mlock_new_folio(m, idx);
  } else {
    folio_add_lru(m, idx);
  }
}

// The last reference went (mm/swap.c __folio_put → free_unref_folios, with
// mm/page_alloc.c free_pages_prepare clearing a stale PG_mlocked).
void folio_put_last(Machine& m, uint32_t idx) {
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

}  // namespace mmsim
