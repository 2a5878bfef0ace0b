// The invariant checker (in the spirit of mm/debug.c and validate_mm): run after every
// syscall in tests and debug builds. Each failure names the object and the broken rule.
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "mmsim/machine.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

absl::Status sim_fail(const std::string& s) { return absl::InternalError(s); }

absl::Status check_mm(const Machine& m, const MmStruct* mm,
                      absl::flat_hash_map<uint32_t, int>& mapcounts,
                      absl::flat_hash_map<uint32_t, int>& locked_mappers) {
  uint64_t total = 0, locked = 0, prev_end = 0;
  int count = 0;
  for (const auto& [key, vp] : mm->mm_mt) {
    const Vma* v = vp.get();
    ++count;
    if (key != v->vm_start) return sim_fail(absl::StrFormat("mm %u: VMA keyed %#x starts at %#x", mm->id, key, v->vm_start));
    if (v->vm_start >= v->vm_end) return sim_fail(absl::StrFormat("mm %u: empty VMA at %#x", mm->id, v->vm_start));
    if (offset_in_page(v->vm_start) || offset_in_page(v->vm_end))
      return sim_fail(absl::StrFormat("mm %u: unaligned VMA [%#x, %#x)", mm->id, v->vm_start, v->vm_end));
    if (v->vm_start < prev_end)
      return sim_fail(absl::StrFormat("mm %u: VMA [%#x, %#x) overlaps its predecessor ending %#x", mm->id, v->vm_start, v->vm_end, prev_end));
    if (v->vm_mm != mm) return sim_fail(absl::StrFormat("mm %u: VMA %#x has the wrong vm_mm", mm->id, v->vm_start));
    if ((v->vm_flags & VM_LOCKONFAULT) && !(v->vm_flags & VM_LOCKED))
      return sim_fail(absl::StrFormat("mm %u: VMA %#x has VM_LOCKONFAULT without VM_LOCKED", mm->id, v->vm_start));
    if ((v->vm_flags & VM_LOCKED) && (v->vm_flags & VM_SPECIAL))
      return sim_fail(absl::StrFormat("mm %u: VMA %#x is VM_LOCKED and VM_SPECIAL", mm->id, v->vm_start));
    if (v->anon_vma) {
      bool in_chain = false;
      for (const AnonVma* av : v->anon_vma_chain) in_chain |= av == v->anon_vma;
      if (!in_chain) return sim_fail(absl::StrFormat("mm %u: VMA %#x's anon_vma is not in its chain", mm->id, v->vm_start));
    }
    for (const AnonVma* av : v->anon_vma_chain) {
      if (!av->vmas.contains(const_cast<Vma*>(v)))
        return sim_fail(absl::StrFormat("mm %u: VMA %#x missing from anon_vma #%u", mm->id, v->vm_start, av->id));
    }
    total += v->pages();
    if (v->vm_flags & VM_LOCKED) locked += v->pages();
    prev_end = v->vm_end;
  }
  if (count != mm->map_count) return sim_fail(absl::StrFormat("mm %u: map_count %d but %d VMAs", mm->id, mm->map_count, count));
  if (total != mm->total_vm) return sim_fail(absl::StrFormat("mm %u: total_vm %lu but VMAs hold %lu pages", mm->id, mm->total_vm, total));
  if (locked != mm->locked_vm) return sim_fail(absl::StrFormat("mm %u: locked_vm %lu but VM_LOCKED VMAs hold %lu pages", mm->id, mm->locked_vm, locked));
  int64_t rss[NR_MM_COUNTERS] = {};
  for (const auto& [vpn, pte] : mm->page_table) {
    const uint64_t addr = vpn << PAGE_SHIFT;
    Vma* v = vma_lookup(const_cast<MmStruct*>(mm), addr);
    if (!v) return sim_fail(absl::StrFormat("mm %u: PTE at %#x outside every VMA", mm->id, addr));
    if (pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) continue;
    const Folio& f = m.folio(pte.folio);
    mapcounts[pte.folio]++;
    if ((v->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED) locked_mappers[pte.folio]++;
    if (f.flags & PG_anon_mapping) {
      rss[MM_ANONPAGES]++;
    } else {
      rss[static_cast<const File*>(f.mapping)->shmem ? MM_SHMEMPAGES : MM_FILEPAGES]++;
    }
  }
  for (int i = 0; i < NR_MM_COUNTERS; ++i) {
    if (i == MM_SWAPENTS) continue;
    if (rss[i] != mm->rss_stat[i])
      return sim_fail(absl::StrFormat("mm %u: rss counter %d is %ld but page tables hold %ld", mm->id, i, mm->rss_stat[i], rss[i]));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Machine::check_invariants() const {
  absl::flat_hash_map<uint32_t, int> mapcounts, locked_mappers;
  absl::flat_hash_set<const MmStruct*> seen;
  for (const auto& t : tasks_) {
    if (!t->alive || !t->mm || !seen.insert(t->mm.get()).second) continue;
    if (absl::Status s = check_mm(*this, t->mm.get(), mapcounts, locked_mappers); !s.ok()) return s;
  }
  absl::flat_hash_set<uint32_t> free_set(free_folios_.begin(), free_folios_.end());
  VmStat lists;
  int64_t mlocked = 0;
  for (uint32_t i = 1; i < folios_.size(); ++i) {
    if (free_set.contains(i)) continue;
    const Folio& f = folios_[i];
    auto mc = mapcounts.find(i);
    const int ptes = mc == mapcounts.end() ? 0 : mc->second;
    if (ptes != f.mapcount)
      return sim_fail(absl::StrFormat("folio %u: mapcount %d but %d PTEs map it", i, f.mapcount, ptes));
    if (!(f.flags & PG_lru))
      return sim_fail(absl::StrFormat("folio %u: in use but on no LRU list", i));
    if (f.flags & PG_unevictable) {
      lists[nr_unevictable]++;
    } else if (f.flags & PG_swapbacked) {
      lists[(f.flags & PG_active) ? nr_active_anon : nr_inactive_anon]++;
    } else {
      lists[(f.flags & PG_active) ? nr_active_file : nr_inactive_file]++;
    }
    if (f.flags & PG_mlocked) {
      ++mlocked;
      if (!(f.flags & PG_unevictable))
        return sim_fail(absl::StrFormat("folio %u: PG_mlocked but not on the unevictable list", i));
    }
    auto lm = locked_mappers.find(i);
    const int lockers = lm == locked_mappers.end() ? 0 : lm->second;
    if (lockers > 0 && !(f.flags & PG_mlocked))
      return sim_fail(absl::StrFormat("folio %u: mapped by %d VM_LOCKED VMA(s) but not PG_mlocked", i, lockers));
    if (lockers == 0 && (f.flags & PG_mlocked))
      return sim_fail(absl::StrFormat("folio %u: PG_mlocked but no VM_LOCKED VMA maps it", i));
  }
  for (VmStatItem it : {nr_unevictable, nr_active_anon, nr_inactive_anon, nr_active_file, nr_inactive_file}) {
    if (lists[it] != vmstat[it])
      return sim_fail(absl::StrFormat("%s is %ld but %ld folios are on that list", vmstat_name(it), vmstat[it], lists[it]));
  }
  if (mlocked != vmstat[nr_mlock])
    return sim_fail(absl::StrFormat("nr_mlock is %ld but %ld folios are PG_mlocked", vmstat[nr_mlock], mlocked));
  return absl::OkStatus();
}

}  // namespace mmsim
