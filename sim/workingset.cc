// Model of mm/workingset.c for the classic two-list LRU (this kernel has no MGLRU):
// refault detection with shadow entries. When reclaim drops a folio, the lruvec's
// nonresident_age at that moment (plus the folio's PG_workingset) is left behind in the swap
// cache slot or the page-cache index it occupied. When the page is read back, the distance
// between the age then and now says whether it would have stayed resident with a larger
// active list; if so it goes straight to the active list.
//
// One node, no memory cgroups: the machine is the lruvec. The shadow is age << 1 | workingset
// (the kernel packs memcg id, node and a bucketed age; no bucketing here).
#include "mmsim/machine.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

// mm/workingset.c workingset_age_nonresident: evictions and activations age the
// non-resident pages; the kernel also walks up the memcg tree.
void workingset_age_nonresident(Machine& m, uint64_t nr_pages) { m.nonresident_age += nr_pages; }

// mm/workingset.c workingset_activation: a folio activated by folio_mark_accessed.
void workingset_activation(Machine& m, uint32_t folio) {
  (void)folio;
  workingset_age_nonresident(m, 1);
}

// mm/workingset.c workingset_eviction: the shadow of a folio being reclaimed; the age is read
// before this eviction counts.
uint64_t workingset_eviction(Machine& m, uint32_t folio) {
  const uint64_t eviction = m.nonresident_age;
  workingset_age_nonresident(m, 1);
  const bool workingset = (m.folio(folio).flags & PG_workingset) != 0;
  return eviction << 1 | (workingset ? 1 : 0);
}

// mm/workingset.c workingset_test_recent: was the page evicted recently enough that it would
// have stayed resident if the active list had been given the inactive list's room? The
// workingset is the active file list, plus the inactive file list for anonymous refaults,
// plus the anonymous lists when swap is available (inactive only for file refaults).
bool workingset_test_recent(const Machine& m, uint64_t shadow, bool file, bool* workingset) {
  const uint64_t eviction = shadow >> 1;
  *workingset = shadow & 1;
  const uint64_t refault_distance = m.nonresident_age - eviction;
  uint64_t workingset_size = m.lru_lists[LRU_ACTIVE_FILE].nr;
  if (!file) workingset_size += m.lru_lists[LRU_INACTIVE_FILE].nr;
  if (nr_swap_pages(m) > 0) {
    workingset_size += m.lru_lists[LRU_ACTIVE_ANON].nr;
    if (file) workingset_size += m.lru_lists[LRU_INACTIVE_ANON].nr;
  }
  TRACE_NOTE(m.trace, "refault distance %lu, workingset %lu pages: %s", refault_distance,
             workingset_size, refault_distance <= workingset_size ? "recent" : "not recent");
  return refault_distance <= workingset_size;
}

// mm/workingset.c workingset_refault: a folio read back in where a shadow was. Called before
// the folio is added to the LRU, so that PG_active decides which list the batch puts it on.
void workingset_refault(Machine& m, uint32_t folio, uint64_t shadow) {
  Folio& f = m.folio(folio);
  const bool file = !(f.flags & PG_swapbacked);
  m.vmstat[file ? workingset_refault_file : workingset_refault_anon]++;
  bool workingset = false;
  const bool recent = workingset_test_recent(m, shadow, file, &workingset);
  for (MachineObserver* o : m.observers()) o->on_refault(folio, recent);
  if (!recent) return;
  f.flags |= PG_active;
  workingset_age_nonresident(m, 1);
  m.vmstat[file ? workingset_activate_file : workingset_activate_anon]++;
  if (workingset) {
    f.flags |= PG_workingset;
    lru_note_cost_refault(m, folio);
    m.vmstat[file ? workingset_restore_file : workingset_restore_anon]++;
  }
}

}  // namespace mmsim
