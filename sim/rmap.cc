// Model of mm/rmap.c: anon_vma life cycle and the rmap add/remove hooks that mlock and
// munlock folios as they are mapped into, or unmapped from, VM_LOCKED VMAs.
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

// mm/mmap.c anon_vma_compatible: neighbours whose anon_vma a fault may share.
bool anon_vma_compatible(const Vma* a, const Vma* b) {
  constexpr vm_flags_t kAccess = VM_READ | VM_WRITE | VM_EXEC;
  return a->vm_end == b->vm_start && a->vm_policy == b->vm_policy && a->vm_file == b->vm_file &&
         !((a->vm_flags ^ b->vm_flags) & ~(kAccess | VM_SOFTDIRTY)) &&
         b->vm_pgoff == a->vm_pgoff + PHYS_PFN(b->vm_start - a->vm_start);
}

// mm/mmap.c reusable_anon_vma.
AnonVma* reusable_anon_vma(const Vma* old, const Vma* a, const Vma* b) {
  if (anon_vma_compatible(a, b) && old->anon_vma && old->anon_vma_chain.size() == 1)
    return old->anon_vma;
  return nullptr;
}

// mm/mmap.c find_mergeable_anon_vma: next first, then prev.
AnonVma* find_mergeable_anon_vma(Vma* vma) {
  MmStruct* mm = vma->vm_mm;
  if (Vma* next = vma_next(mm, vma)) {
    if (AnonVma* av = reusable_anon_vma(next, vma, next)) return av;
  }
  if (Vma* prev = vma_prev(mm, vma)) return reusable_anon_vma(prev, prev, vma);
  return nullptr;
}

void sim_link_anon_vma(Vma* vma, AnonVma* av) {
  vma->anon_vma_chain.push_back(av);
  if (av->vmas.insert(vma).second) av->refcount++;
}

}  // namespace

int anon_vma_prepare(Machine& m, Vma* vma) {
  if (vma->anon_vma) return 0;
  TRACE_FN(m.trace, "__anon_vma_prepare");
  AnonVma* av = find_mergeable_anon_vma(vma);
  if (av) {
    TRACE_NOTE(m.trace, "reuses the anon_vma #%u of a compatible neighbour", av->id);
  } else {
    av = m.new_anon_vma();
    TRACE_NOTE(m.trace, "allocates anon_vma #%u", av->id);
  }
  vma->anon_vma = av;
  sim_link_anon_vma(vma, av);
  return 0;
}

void anon_vma_clone(Machine& m, Vma* dst, const Vma* src) {
  (void)m;
  for (AnonVma* av : src->anon_vma_chain) {
    bool present = false;
    for (AnonVma* have : dst->anon_vma_chain) present |= have == av;
    if (!present) sim_link_anon_vma(dst, av);
  }
}

void unlink_anon_vmas(Machine& m, Vma* vma) {
  for (AnonVma* av : vma->anon_vma_chain) {
    if (av->vmas.erase(vma)) {
      av->refcount--;
      m.put_anon_vma(av);
    }
  }
  vma->anon_vma_chain.clear();
  vma->anon_vma = nullptr;
}

// mm/rmap.c folio_add_new_anon_rmap: a brand-new anonymous folio, mapped once.
void folio_add_new_anon_rmap(Machine& m, uint32_t idx, Vma* vma, uint64_t addr) {
  Folio& f = m.folio(idx);
  f.flags |= PG_anon_mapping | PG_swapbacked;
  f.mapping = vma->anon_vma;
  f.index = vma->vm_pgoff + PHYS_PFN(addr - vma->vm_start);
  f.mapcount = 1;
  vma->anon_vma->refcount++;
  m.vmstat[nr_anon_pages]++;
}

// mm/rmap.c folio_add_anon_rmap_pte: one more mapping of an existing anonymous folio.
void folio_add_anon_rmap_pte(Machine& m, uint32_t idx, Vma* vma) {
  if (m.folio(idx).mapcount++ == 0) m.vmstat[nr_anon_pages]++;
  mlock_vma_folio(m, idx, vma);
}

// mm/rmap.c folio_add_file_rmap_pte.
void folio_add_file_rmap_pte(Machine& m, uint32_t idx, Vma* vma) {
  Folio& f = m.folio(idx);
  if (f.mapcount++ == 0) m.vmstat[nr_mapped]++;
  mlock_vma_folio(m, idx, vma);
}

// mm/rmap.c folio_remove_rmap_pte: the mapping goes; a VM_LOCKED VMA's lock on it goes too.
void folio_remove_rmap_pte(Machine& m, uint32_t idx, Vma* vma) {
  Folio& f = m.folio(idx);
  f.mapcount--;
  if (f.mapcount == 0) {
    if (f.flags & PG_anon_mapping) {
      m.vmstat[nr_anon_pages]--;
    } else {
      m.vmstat[nr_mapped]--;
    }
  }
  munlock_vma_folio(m, idx, vma);
}

}  // namespace mmsim
