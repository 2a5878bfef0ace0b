// The invariant checker (in the spirit of mm/debug.c and validate_mm): run after every
// syscall in tests and debug builds. Each failure names the object and the broken rule.
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "mmsim/machine.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

absl::Status sim_fail(const std::string& s) { return absl::InternalError(s); }

absl::Status check_mm(const Machine& m, const MmStruct* mm, std::vector<int>& mapcounts) {
  uint64_t total = 0, locked = 0, prev_end = 0;
  int count = 0;
  const Vma* prev_vma = nullptr;
  // The tree cursor, while its generation is current, must be a slot of the tree (an
  // insertion or erasure that failed to bump mm_mt_gen would leave it dangling).
  if (mm->mt_cursor_gen == mm->mm_mt_gen) {
    bool found = false;
    for (auto it = mm->mm_mt.begin(); it != mm->mm_mt.end() && !found; ++it) {
      found = it == mm->mt_cursor;
    }
    if (!found) return sim_fail(absl::StrFormat("mm %u: the VMA tree cursor is stale", mm->id));
  }
  for (const auto& [key, vp] : mm->mm_mt) {
    const Vma* v = vp.get();
    ++count;
    if (v->vm_prev != prev_vma || (prev_vma && prev_vma->vm_next != v))
      return sim_fail(
          absl::StrFormat("mm %u: VMA %#x is not linked to its predecessor", mm->id, v->vm_start));
    prev_vma = v;
    if (key != v->vm_end)
      return sim_fail(absl::StrFormat("mm %u: VMA keyed %#x ends at %#x", mm->id, key, v->vm_end));
    if (v->vm_start >= v->vm_end)
      return sim_fail(absl::StrFormat("mm %u: empty VMA at %#x", mm->id, v->vm_start));
    if (offset_in_page(v->vm_start) || offset_in_page(v->vm_end))
      return sim_fail(
          absl::StrFormat("mm %u: unaligned VMA [%#x, %#x)", mm->id, v->vm_start, v->vm_end));
    if (v->vm_start < prev_end)
      return sim_fail(absl::StrFormat("mm %u: VMA [%#x, %#x) overlaps its predecessor ending %#x",
                                      mm->id, v->vm_start, v->vm_end, prev_end));
    if (v->vm_mm != mm)
      return sim_fail(absl::StrFormat("mm %u: VMA %#x has the wrong vm_mm", mm->id, v->vm_start));
    if ((v->vm_flags & VM_LOCKONFAULT) && !(v->vm_flags & VM_LOCKED))
      return sim_fail(absl::StrFormat("mm %u: VMA %#x has VM_LOCKONFAULT without VM_LOCKED", mm->id,
                                      v->vm_start));
    if ((v->vm_flags & VM_LOCKED) && (v->vm_flags & VM_SPECIAL))
      return sim_fail(
          absl::StrFormat("mm %u: VMA %#x is VM_LOCKED and VM_SPECIAL", mm->id, v->vm_start));
    if (v->anon_vma) {
      bool in_chain = false;
      for (const AnonVma* av : v->anon_vma_chain) in_chain |= av == v->anon_vma;
      if (!in_chain)
        return sim_fail(
            absl::StrFormat("mm %u: VMA %#x's anon_vma is not in its chain", mm->id, v->vm_start));
    }
    for (const AnonVma* av : v->anon_vma_chain) {
      if (!av->vmas.contains(const_cast<Vma*>(v)))
        return sim_fail(absl::StrFormat("mm %u: VMA %#x missing from anon_vma #%u", mm->id,
                                        v->vm_start, av->id));
    }
    total += v->pages();
    if (v->vm_flags & VM_LOCKED) locked += v->pages();
    prev_end = v->vm_end;
  }
  if (prev_vma && prev_vma->vm_next)
    return sim_fail(
        absl::StrFormat("mm %u: last VMA %#x has a successor", mm->id, prev_vma->vm_start));
  if (count != mm->map_count)
    return sim_fail(
        absl::StrFormat("mm %u: map_count %d but %d VMAs", mm->id, mm->map_count, count));
  if (total != mm->total_vm)
    return sim_fail(absl::StrFormat("mm %u: total_vm %lu but VMAs hold %lu pages", mm->id,
                                    mm->total_vm, total));
  if (locked != mm->locked_vm)
    return sim_fail(absl::StrFormat("mm %u: locked_vm %lu but VM_LOCKED VMAs hold %lu pages",
                                    mm->id, mm->locked_vm, locked));
  int64_t rss[NR_MM_COUNTERS] = {};
  absl::Status bad;
  const Vma* last = nullptr;
  const_cast<PageTable&>(mm->page_table).for_each([&](uint64_t vpn, Pte& pte) {
    if (!bad.ok()) return;
    const uint64_t addr = vpn << PAGE_SHIFT;
    // for_each visits PTEs in address order: look the VMA up again only past the last one.
    if (!last || addr < last->vm_start || addr >= last->vm_end) {
      last = vma_lookup(const_cast<MmStruct*>(mm), addr);
    }
    if (!last) {
      bad = sim_fail(absl::StrFormat("mm %u: PTE at %#x outside every VMA", mm->id, addr));
      return;
    }
    if (pte.kind == Pte::kSwap) {
      rss[MM_SWAPENTS]++;
      return;
    }
    if (pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) return;
    if (pte.folio >= mapcounts.size()) {
      bad = sim_fail(absl::StrFormat("mm %u: PTE at %#x maps folio %u, out of range", mm->id, addr,
                                     pte.folio));
      return;
    }
    const Folio& f = m.folio(pte.folio);
    mapcounts[pte.folio]++;
    if (f.flags & PG_anon_mapping) {
      rss[MM_ANONPAGES]++;
    } else {
      rss[static_cast<const File*>(f.mapping)->shmem ? MM_SHMEMPAGES : MM_FILEPAGES]++;
    }
  });
  if (!bad.ok()) return bad;
  for (int i = 0; i < NR_MM_COUNTERS; ++i) {
    if (rss[i] != mm->rss_stat[i])
      return sim_fail(absl::StrFormat("mm %u: rss counter %d is %ld but page tables hold %ld",
                                      mm->id, i, mm->rss_stat[i], rss[i]));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Machine::check_invariants() const {
  // Per-folio tallies in vectors indexed by folio number: a full check touches every folio,
  // so it must stay linear and cheap (scenarios with millions of pages run it).
  std::vector<int> mapcounts(folios_.size(), 0);
  absl::flat_hash_set<const MmStruct*> seen;
  for (const auto& t : tasks_) {
    if (!t->alive || !t->mm || !seen.insert(t->mm.get()).second) continue;
    if (absl::Status s = check_mm(*this, t->mm.get(), mapcounts); !s.ok()) return s;
  }
  // The rmap index of each file, where it claims to be current, is what a rebuild gives
  // (a VMA resized without i_mmap_changed would show here).
  for (const auto& file : files_) {
    if (file->i_mmap_dirty) continue;
    File fresh;
    fresh.i_mmap = file->i_mmap;
    sim_i_mmap_rebuild(&fresh);
    if (fresh.i_mmap_index != file->i_mmap_index || fresh.i_mmap_max_end != file->i_mmap_max_end) {
      return sim_fail(absl::StrFormat("file %s: stale i_mmap index", file->path));
    }
  }
  std::vector<bool> free_set(folios_.size(), false);
  for (uint32_t i : free_folios_) {
    if (i >= folios_.size() || free_set[i])
      return sim_fail(absl::StrFormat("free list holds folio %u twice or out of range", i));
    free_set[i] = true;
  }
  // Batch membership: each entry holds one reference.
  std::vector<int> in_batches(folios_.size(), 0);
  for (const CpuFbatches& fb : cpu_fbatches) {
    for (const FolioBatch* b : {&fb.lru_add, &fb.lru_deactivate, &fb.lru_activate, &fb.mlock}) {
      for (int i = 0; i < b->nr; ++i) {
        if (b->folios[i] >= folios_.size())
          return sim_fail(absl::StrFormat("a batch holds folio %u, out of range", b->folios[i]));
        in_batches[b->folios[i]]++;
      }
    }
  }
  // Walk each list: links consistent, every member on the list its flags imply.
  std::vector<bool> on_lists(folios_.size(), false);
  int64_t unevictable = 0;
  for (uint32_t i = 1; i < folios_.size(); ++i) {
    if (!free_set[i] && (folios_[i].flags & PG_lru) && folios_[i].lru == LRU_UNEVICTABLE) {
      if (folio_lru_list(folios_[i]) != LRU_UNEVICTABLE)
        return sim_fail(
            absl::StrFormat("folio %u counted unevictable but evictable by its flags", i));
      on_lists[i] = true;
      ++unevictable;
    }
  }
  if (unevictable != lru_lists[LRU_UNEVICTABLE].nr)
    return sim_fail(absl::StrFormat("unevictable count %ld but %ld folios",
                                    lru_lists[LRU_UNEVICTABLE].nr, unevictable));
  for (int l = 0; l < LRU_UNEVICTABLE; ++l) {
    const LruListHead& h = lru_lists[l];
    int64_t n = 0;
    uint32_t prev = 0;
    for (uint32_t i = h.head; i; i = folios_[i].lru_next) {
      const Folio& f = folios_[i];
      if (i >= folios_.size())
        return sim_fail(absl::StrFormat("LRU list %d links to folio %u, out of range", l, i));
      if (free_set[i]) return sim_fail(absl::StrFormat("LRU list %d holds free folio %u", l, i));
      if (f.lru_prev != prev)
        return sim_fail(absl::StrFormat("LRU list %d: folio %u has a broken prev link", l, i));
      if (!(f.flags & PG_lru))
        return sim_fail(absl::StrFormat("folio %u on LRU list %d without PG_lru", i, l));
      if (f.lru != l || folio_lru_list(f) != l)
        return sim_fail(absl::StrFormat("folio %u on LRU list %d but its flags imply list %d", i, l,
                                        folio_lru_list(f)));
      if (on_lists[i]) return sim_fail(absl::StrFormat("folio %u on two LRU lists", i));
      on_lists[i] = true;
      prev = i;
      if (++n > static_cast<int64_t>(folios_.size()))
        return sim_fail(absl::StrFormat("LRU list %d has a cycle", l));
    }
    if (prev != h.tail)
      return sim_fail(
          absl::StrFormat("LRU list %d: tail %u but the walk ends at %u", l, h.tail, prev));
    if (n != h.nr)
      return sim_fail(absl::StrFormat("LRU list %d: nr %ld but %ld folios linked", l, h.nr, n));
  }
  const VmStatItem kListStat[NR_LRU_LISTS] = {nr_inactive_anon, nr_active_anon, nr_inactive_file,
                                              nr_active_file, nr_unevictable};
  for (int l = 0; l < NR_LRU_LISTS; ++l) {
    if (lru_lists[l].nr != vmstat[kListStat[l]])
      return sim_fail(absl::StrFormat("%s is %ld but the list holds %ld", vmstat_name(kListStat[l]),
                                      vmstat[kListStat[l]], lru_lists[l].nr));
  }
  int64_t mlocked = 0;
  for (uint32_t i = 1; i < folios_.size(); ++i) {
    if (free_set[i]) continue;
    const Folio& f = folios_[i];
    const int ptes = mapcounts[i];
    if (ptes != f.mapcount)
      return sim_fail(
          absl::StrFormat("folio %u: mapcount %d but %d PTEs map it", i, f.mapcount, ptes));
    const int batched = in_batches[i];
    if (batched != f.batch_refs)
      return sim_fail(absl::StrFormat("folio %u: batch_refs %d but it is in %d batch slots", i,
                                      f.batch_refs, batched));
    if (((f.flags & PG_lru) != 0) != on_lists[i])
      return sim_fail(absl::StrFormat("folio %u: PG_lru does not match list membership", i));
    if (!(f.flags & PG_lru) && f.batch_refs == 0)
      return sim_fail(absl::StrFormat("folio %u: in use but on no LRU list and in no batch", i));
    if ((f.flags & PG_anon_mapping) && f.mapcount == 0 && f.batch_refs == 0 &&
        !(f.flags & PG_swapcache))
      return sim_fail(
          absl::StrFormat("anonymous folio %u: unmapped and unreferenced but not freed", i));
    if (f.flags & PG_mlocked) {
      ++mlocked;
      if (!(f.flags & PG_unevictable) && f.batch_refs == 0)
        return sim_fail(absl::StrFormat("folio %u: PG_mlocked, evictable, and in no batch", i));
    }
  }
  // Swap: every slot's count equals the swap PTEs that name it; SWAP_HAS_CACHE iff the
  // swap cache holds a folio for it.
  absl::flat_hash_map<uint32_t, uint64_t> swap_refs;
  for (const auto& t : tasks_) {
    if (!t->alive || !t->mm) continue;
    if (!seen.contains(t->mm.get())) continue;
    seen.erase(t->mm.get());
    t->mm->page_table.for_each([&](uint64_t, Pte& pte) {
      if (pte.kind == Pte::kSwap) swap_refs[pte.folio]++;
    });
  }
  for (const auto& si : swap_info) {
    if (!si) continue;
    uint64_t inuse = 0;
    for (uint64_t off = 1; off < si->swap_map.size(); ++off) {
      const SwpEntry e{static_cast<uint32_t>(si->type), off};
      const uint8_t v = si->swap_map[off];
      if (v) ++inuse;
      auto r = swap_refs.find(swp_pack(e));
      const uint64_t refs = r == swap_refs.end() ? 0 : r->second;
      const uint64_t count = swp_swapcount(const_cast<Machine&>(*this), e);
      if (count != refs)
        return sim_fail(absl::StrFormat("swap slot %d:%lu: count %lu but %lu swap PTEs", si->type,
                                        off, count, refs));
      if (((v & SWAP_HAS_CACHE) != 0) != si->cache.contains(off))
        return sim_fail(absl::StrFormat(
            "swap slot %d:%lu: SWAP_HAS_CACHE does not match the swap cache", si->type, off));
    }
    if (inuse != si->inuse_pages)
      return sim_fail(absl::StrFormat("swap device %d: inuse_pages %lu but %lu slots in use",
                                      si->type, si->inuse_pages, inuse));
    // Each cluster counts its used slots (the header and the padding past the end count), and
    // sits on the list its flag names.
    for (size_t c = 0; c < si->cluster_info.size(); ++c) {
      const uint64_t start = c * SWAPFILE_CLUSTER;
      const uint64_t end = std::min<uint64_t>(start + SWAPFILE_CLUSTER, si->swap_map.size());
      uint64_t used = start + SWAPFILE_CLUSTER - end;
      for (uint64_t off = start; off < end; ++off) used += si->swap_map[off] != 0;
      if (used != si->cluster_info[c].count)
        return sim_fail(absl::StrFormat("swap device %d cluster %zu: count %u but %lu slots used",
                                        si->type, c, si->cluster_info[c].count, used));
    }
    const std::pair<const SwapClusterList*, SwapClusterInfo::Flag> lists[] = {
        {&si->free_clusters, SwapClusterInfo::CLUSTER_FLAG_FREE},
        {&si->nonfull_clusters, SwapClusterInfo::CLUSTER_FLAG_NONFULL},
        {&si->frag_clusters, SwapClusterInfo::CLUSTER_FLAG_FRAG},
        {&si->full_clusters, SwapClusterInfo::CLUSTER_FLAG_FULL}};
    size_t listed = 0;
    for (const auto& [list, flag] : lists) {
      for (uint32_t c = list->head; c != SwapClusterInfo::kNoCluster;
           c = si->cluster_info[c].next, ++listed) {
        if (si->cluster_info[c].flags != flag || listed > si->cluster_info.size())
          return sim_fail(
              absl::StrFormat("swap device %d: cluster %u is on the wrong list", si->type, c));
      }
    }
    if (listed != si->cluster_info.size())
      return sim_fail(absl::StrFormat("swap device %d: %zu of %zu clusters on a list", si->type,
                                      listed, si->cluster_info.size()));
  }
  if (mlocked != vmstat[nr_mlock])
    return sim_fail(absl::StrFormat("nr_mlock is %ld but %ld folios are PG_mlocked",
                                    vmstat[nr_mlock], mlocked));
  return absl::OkStatus();
}

}  // namespace mmsim
