// Model of mm/rmap.c: anon_vma life cycle (anon_vma_prepare, anon_vma_fork), the rmap
// add/remove hooks that mlock and munlock folios as they are mapped into, or unmapped from,
// VM_LOCKED VMAs, and the rmap walks that reclaim uses: folio_referenced and try_to_unmap,
// both of which stop at a VM_LOCKED VMA and mlock the folio instead.
#include <algorithm>
#include <vector>

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

// mm/rmap.c anon_vma_fork: the child VMA joins every anon_vma of the parent's chain and
// gets an anon_vma of its own, whose parent is the parent VMA's.
void anon_vma_fork(Machine& m, Vma* vma, const Vma* pvma) {
  if (!pvma->anon_vma) return;
  vma->anon_vma = nullptr;
  anon_vma_clone(m, vma, pvma);
  AnonVma* av = m.new_anon_vma();
  av->root = pvma->anon_vma->root;
  av->parent = pvma->anon_vma;
  vma->anon_vma = av;
  vma->anon_vma_chain.push_back(av);
  av->vmas.insert(vma);
  av->refcount++;
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

// The file's i_mmap sorted by vm_pgoff, and its longest VMA (see File::i_mmap_index).
void sim_i_mmap_rebuild(File* file) {
  file->i_mmap_index.assign(file->i_mmap.begin(), file->i_mmap.end());
  std::sort(file->i_mmap_index.begin(), file->i_mmap_index.end(), [](const Vma* a, const Vma* b) {
    if (a->vm_pgoff != b->vm_pgoff) return a->vm_pgoff < b->vm_pgoff;
    return a->vm_mm->id != b->vm_mm->id ? a->vm_mm->id < b->vm_mm->id : a->vm_start < b->vm_start;
  });
  file->i_mmap_max_end.resize(file->i_mmap_index.size());
  uint64_t max_end = 0;
  for (size_t i = 0; i < file->i_mmap_index.size(); ++i) {
    const Vma* v = file->i_mmap_index[i];
    max_end = std::max<uint64_t>(max_end, v->vm_pgoff + v->pages());
    file->i_mmap_max_end[i] = max_end;
  }
  file->i_mmap_dirty = false;
}

namespace {

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
    // vma_interval_tree_foreach: only the VMAs whose pgoff range covers the folio.
    auto* file = static_cast<File*>(f.mapping);
    if (file->i_mmap_dirty) sim_i_mmap_rebuild(file);
    const auto& ix = file->i_mmap_index;
    const auto& max_end = file->i_mmap_max_end;
    size_t k = static_cast<size_t>(
        std::upper_bound(ix.begin(), ix.end(), f.index,
                         [](pgoff_t p, const Vma* v) { return p < v->vm_pgoff; }) -
        ix.begin());
    while (k > 0 && max_end[k - 1] > f.index) {
      --k;
      if (f.index < ix[k]->vm_pgoff + ix[k]->pages()) vmas.push_back(ix[k]);
    }
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
    const uint64_t vpn = (vma->vm_start >> PAGE_SHIFT) + (f.index - vma->vm_pgoff);
    if (pte.dirty) f.flags |= PG_dirty;
    if (f.flags & PG_anon_mapping) {
      // try_to_unmap_one for a swap-cache folio: the PTE becomes the swap entry.
      auto it = m.folio_swap.find(idx);
      if (it == m.folio_swap.end()) return false;
      const SwpEntry e = swp_unpack(it->second);
      if (swap_duplicate(m, e) < 0) return false;
      mm->rss_stat[MM_ANONPAGES]--;
      mm->rss_stat[MM_SWAPENTS]++;
      const bool anon_exclusive = f.mapcount == 1;
      folio_remove_rmap_pte(m, idx, vma);
      Pte swp;
      swp.kind = Pte::kSwap;
      swp.folio = it->second;
      swp.write = anon_exclusive;
      mm->page_table.set(vpn, swp);
      return true;
    }
    mm->rss_stat[static_cast<File*>(f.mapping)->shmem ? MM_SHMEMPAGES : MM_FILEPAGES]--;
    folio_remove_rmap_pte(m, idx, vma);
    mm->page_table.clear(vpn);
    return true;
  });
  return m.folio(idx).mapcount == 0;
}

}  // namespace mmsim
