// Model of mm/memory.c: page faults (anonymous, file read / COW / shared, write-protect
// faults) and the zapping of page-table entries on unmap.
#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

void sim_count_fault(Task& t, bool major) {
  t.machine->vmstat[pgfault]++;
  if (major) {
    t.machine->vmstat[pgmajfault]++;
    t.maj_flt++;
  } else {
    t.min_flt++;
  }
}

// A new anonymous folio for vma at addr, mapped writable (do_anonymous_page's and
// wp_page_copy's common tail).
uint32_t sim_new_anon_folio(Task& t, Vma* vma, uint64_t addr) {
  Machine& m = *t.machine;
  uint32_t idx = m.alloc_folio();
  if (!idx) return 0;
  m.folio(idx).flags |= PG_uptodate | PG_dirty;
  folio_add_new_anon_rmap(m, idx, vma, addr);
  folio_add_lru_vma(m, idx, vma);
  t.mm->rss_stat[MM_ANONPAGES]++;
  return idx;
}

// mm/filemap.c filemap_fault / mm/shmem.c shmem_fault: the page-cache folio at pgoff,
// read in (a major fault) if absent. shmem pages are created, not read.
uint32_t sim_filemap_get_folio(Task& t, File* file, pgoff_t pgoff, bool* major) {
  Machine& m = *t.machine;
  auto it = file->page_cache.find(pgoff);
  if (it != file->page_cache.end()) return it->second;
  uint32_t idx = m.alloc_folio();
  if (!idx) return 0;
  Folio& f = m.folio(idx);
  f.flags |= PG_uptodate;
  if (file->shmem) f.flags |= PG_swapbacked;
  f.mapping = file;
  f.index = pgoff;
  file->page_cache.emplace(pgoff, idx);
  m.vmstat[nr_file_pages]++;
  if (auto sh = file->shadows.find(pgoff); sh != file->shadows.end()) {  // filemap_add_folio
    workingset_refault(m, idx, sh->second);
    file->shadows.erase(sh);
  }
  folio_add_lru(m, idx);
  *major = !file->shmem;
  return idx;
}

int sim_file_rss_counter(const File* f) { return f->shmem ? MM_SHMEMPAGES : MM_FILEPAGES; }

// mm/memory.c do_anonymous_page.
int do_anonymous_page(Task& t, Vma* vma, uint64_t addr, unsigned flags, Pte& pte) {
  Machine& m = *t.machine;
  const bool write = (flags & FAULT_FLAG_WRITE) != 0;
  if (!write && m.config().zero_page) {
    TRACE_NOTE(m.trace, "read fault at %#x maps the shared zero page", addr);
    pte = {ZERO_FOLIO, Pte::kPresent, false, true, false};
    return 0;
  }
  if (!write) {
    TRACE_NOTE(m.trace,
               "read fault at %#x: no zero page on this machine (mm_forbids_zeropage), "
               "a new zeroed folio",
               addr);
  }
  anon_vma_prepare(m, vma);
  uint32_t idx = sim_new_anon_folio(t, vma, addr);
  if (!idx) return -ENOMEM;
  // A writable VMA gets a writable, dirty PTE even on a read fault.
  const bool writable = (vma->vm_flags & VM_WRITE) != 0;
  pte = {idx, Pte::kPresent, writable, true, writable};
  return 0;
}

// mm/memory.c wp_page_copy: break COW into a new anonymous folio.
int wp_page_copy(Task& t, Vma* vma, uint64_t addr, Pte& pte) {
  Machine& m = *t.machine;
  anon_vma_prepare(m, vma);
  const uint32_t old = pte.folio;
  uint32_t idx = sim_new_anon_folio(t, vma, addr);
  if (!idx) return -ENOMEM;
  TRACE_NOTE(m.trace, "COW at %#x: new anonymous folio", addr);
  if (old != ZERO_FOLIO) {
    Folio& of = m.folio(old);
    if (of.flags & PG_anon_mapping) {
      t.mm->rss_stat[MM_ANONPAGES]--;
    } else {
      t.mm->rss_stat[sim_file_rss_counter(static_cast<File*>(of.mapping))]--;
    }
    folio_remove_rmap_pte(m, old, vma);
    folio_put(m, old);
  }
  pte = {idx, Pte::kPresent, true, true, true};
  return 0;
}

// mm/memory.c wp_can_reuse_anon_folio: may a write reuse this anonymous folio in place? The
// kernel decides by the folio's reference count: one per mapping, one for the swap cache, one
// per per-CPU batch slot holding it. A folio still in a batch is therefore copied, unless it
// is off the LRU and the local drain releases it (a folio on the unevictable list with a
// munlock queued in the mlock batch keeps that reference: measured on the host,
// tests/fuzz-divergences/fixed/fuzz-diff-s2-418-reuse-refcount.scn).
bool wp_can_reuse_anon_folio(Machine& m, uint32_t idx) {
  auto refs = [&] {
    const Folio& f = m.folio(idx);
    return f.mapcount + ((f.flags & PG_swapcache) ? 1 : 0) + static_cast<int>(f.batch_refs);
  };
  if (refs() > 3) return false;
  if (!(m.folio(idx).flags & PG_lru)) lru_add_drain(m);
  if (refs() > 1 + ((m.folio(idx).flags & PG_swapcache) ? 1 : 0)) return false;
  if (m.folio(idx).flags & PG_swapcache) folio_free_swap(m, idx);
  return refs() == 1;
}

// mm/memory.c do_wp_page: write to a present, write-protected entry.
int do_wp_page(Task& t, Vma* vma, uint64_t addr, Pte& pte) {
  Machine& m = *t.machine;
  if (vma->vm_flags & VM_SHARED) {
    pte.write = pte.dirty = pte.young = true;  // wp_page_shared
    if (pte.folio != ZERO_FOLIO) m.folio(pte.folio).flags |= PG_dirty;
    return 0;
  }
  if (pte.folio != ZERO_FOLIO) {
    if ((m.folio(pte.folio).flags & PG_anon_mapping) && wp_can_reuse_anon_folio(m, pte.folio)) {
      pte.write = pte.dirty = pte.young = true;
      m.folio(pte.folio).flags |= PG_dirty;
      return 0;
    }
  }
  return wp_page_copy(t, vma, addr, pte);
}

// The kernel's fault_around_bytes default (64 KiB) in pages.
constexpr uint64_t kFaultAroundPages = 16;

// mm/memory.c do_fault_around → filemap_map_pages: before a read fault calls ->fault, map
// the page-cache folios already present in a 16-page window into empty PTEs only. The window
// starts at the 16-page aligned block of the address, or at the VMA's start or the page
// table's if those come later, and runs 16 pages from there, clamped to the VMA's end and
// the page table's (so a VMA starting inside a block gets a window reaching into the next
// block). No fault is counted for them. The faulting page itself is left to the caller,
// which finds it in the cache as map_pages would.
void do_fault_around(Task& t, Vma* vma, uint64_t addr) {
  Machine& m = *t.machine;
  if (vma->uffd_ctx) return;  // uffd_disable_fault_around
  File* file = vma->vm_file;
  const uint64_t vpn = addr >> PAGE_SHIFT;
  const uint64_t table = vpn & ~(PageTable::kLeafSize - 1);  // this PTE page's first entry
  const uint64_t first =
      std::max({vpn & ~(kFaultAroundPages - 1), vma->vm_start >> PAGE_SHIFT, table});
  const uint64_t last = std::min(
      {first + kFaultAroundPages, table + PageTable::kLeafSize, vma->vm_end >> PAGE_SHIFT});
  const pgoff_t file_pages = PHYS_PFN(PAGE_ALIGN(file->size));
  int mapped = 0;
  for (uint64_t v = first; v < last; ++v) {
    if (v == vpn) continue;
    const pgoff_t pgoff = vma->vm_pgoff + (v - (vma->vm_start >> PAGE_SHIFT));
    if (!file->shmem && pgoff >= file_pages) break;
    const Pte* cur = t.mm->page_table.find(v);
    if (cur && cur->kind != Pte::kNone) continue;
    auto it = file->page_cache.find(pgoff);
    if (it == file->page_cache.end()) continue;
    folio_add_file_rmap_pte(m, it->second, vma);
    t.mm->rss_stat[sim_file_rss_counter(file)]++;
    t.mm->page_table.set(v, Pte{it->second, Pte::kPresent, false, true, false});
    ++mapped;
  }
  if (mapped) {
    TRACE_NOTE(m.trace, "fault-around maps %d page-cache page%s near %#x", mapped,
               mapped == 1 ? "" : "s", addr);
  }
}

// mm/memory.c do_fault → do_read_fault / do_cow_fault / do_shared_fault.
int do_fault(Task& t, Vma* vma, uint64_t addr, unsigned flags, Pte& pte) {
  Machine& m = *t.machine;
  File* file = vma->vm_file;
  const pgoff_t pgoff = vma->vm_pgoff + PHYS_PFN(addr - vma->vm_start);
  if (!file->shmem && pgoff >= PHYS_PFN(PAGE_ALIGN(file->size))) {
    TRACE_NOTE(m.trace, "fault at %#x is beyond the end of %s: SIGBUS", addr, file->path);
    return -EFAULT;
  }
  if (!(flags & FAULT_FLAG_WRITE)) do_fault_around(t, vma, addr);  // do_read_fault
  bool major = false;
  uint32_t idx = sim_filemap_get_folio(t, file, pgoff, &major);
  if (!idx) return -ENOMEM;
  if (major) {
    m.vmstat[pgmajfault]++;
    t.maj_flt++;
    t.min_flt--;  // sim_count_fault counted it as minor already
  }
  const bool write = flags & FAULT_FLAG_WRITE;
  if (write && !(vma->vm_flags & VM_SHARED)) {
    // do_cow_fault: a private anonymous copy; the page-cache folio stays unmapped here.
    anon_vma_prepare(m, vma);
    uint32_t copy = sim_new_anon_folio(t, vma, addr);
    if (!copy) return -ENOMEM;
    TRACE_NOTE(m.trace, "write fault on a private file mapping: COW copy of page %lu", pgoff);
    pte = {copy, Pte::kPresent, true, true, true};
    return 0;
  }
  folio_add_file_rmap_pte(m, idx, vma);
  t.mm->rss_stat[sim_file_rss_counter(file)]++;
  pte = {idx, Pte::kPresent, write, true, write};
  if (write) m.folio(idx).flags |= PG_dirty;
  return 0;
}

}  // namespace

int handle_mm_fault(Task& t, Vma* vma, uint64_t addr, unsigned flags) {
  TRACE_FN(t.machine->trace, "handle_mm_fault");
  t.machine->cpu = t.cpu;
  addr &= PAGE_MASK;
  const uint64_t vpn = addr >> PAGE_SHIFT;
  const Pte* cur = t.mm->page_table.find(vpn);
  Pte pte = cur ? *cur : Pte{};
  sim_count_fault(t, false);
  int ret;
  if (pte.kind == Pte::kNone) {
    ret = sim_vma_is_anonymous(vma) ? do_anonymous_page(t, vma, addr, flags, pte)
                                    : do_fault(t, vma, addr, flags, pte);
  } else if (pte.kind == Pte::kSwap) {
    // do_swap_page maps the entry itself.
    return do_swap_page(t, vma, addr, flags);
  } else if (pte.kind == Pte::kPresent && (flags & FAULT_FLAG_WRITE) && !pte.write) {
    ret = do_wp_page(t, vma, addr, pte);
  } else {
    pte.young = true;
    ret = 0;
  }
  if (pte.kind != Pte::kNone) t.mm->page_table.set(vpn, pte);
  return ret;
}

int do_swap_page(Task& t, Vma* vma, uint64_t addr, unsigned flags) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "do_swap_page");
  MmStruct* mm = t.mm.get();
  const uint64_t vpn = addr >> PAGE_SHIFT;
  const Pte* cur = mm->page_table.find(vpn);
  if (!cur || cur->kind != Pte::kSwap) return 0;
  const SwpEntry entry = swp_unpack(cur->folio);
  const bool swp_exclusive = cur->write;
  uint32_t idx = swap_cache_get_folio(m, entry);
  bool fresh = false;  // read from the slot now: not yet an anonymous folio
  if (idx) {
    TRACE_NOTE(m.trace, "swap-cache hit for slot %u:%lu", entry.type, entry.offset);
  } else {
    // swapin_readahead → __read_swap_cache_async: a new folio read from the slot.
    idx = m.alloc_folio();
    if (!idx) return -ENOMEM;
    if (__swap_duplicate(m, entry, SWAP_HAS_CACHE)) {  // swapcache_prepare
      m.free_folio(idx);
      return -EFAULT;
    }
    anon_vma_prepare(m, vma);
    fresh = true;
    Folio& f = m.folio(idx);
    f.flags |= PG_uptodate | PG_swapbacked;
    m.folio_swap[idx] = swp_pack(entry);
    SwapInfo* si = m.swap_info[entry.type].get();
    si->cache[entry.offset] = idx;
    f.flags |= PG_swapcache;
    // The folio takes the slot's place in the swap cache, and with it the shadow.
    if (auto sh = si->shadows.find(entry.offset); sh != si->shadows.end()) {
      workingset_refault(m, idx, sh->second);
      si->shadows.erase(sh);
    }
    folio_add_lru(m, idx);
    m.vmstat[pgmajfault]++;
    t.maj_flt++;
    t.min_flt--;
    TRACE_NOTE(m.trace, "read slot %u:%lu into a new folio (major fault)", entry.type,
               entry.offset);
  }
  mm->rss_stat[MM_SWAPENTS]--;
  mm->rss_stat[MM_ANONPAGES]++;
  if (fresh) {
    // A folio just read from swap is not anonymous yet, so it gets folio_add_new_anon_rmap,
    // which does not mlock: in a VM_LOCKED VMA it stays evictable until reclaim's rmap walk
    // (or a later mlock) finds it (host: tests/fuzz-divergences/swapin-by-mlock-populate.scn).
    folio_add_new_anon_rmap(m, idx, vma, addr);
  } else {
    folio_add_anon_rmap_pte(m, idx, vma);
  }
  swap_free(m, entry);
  Folio& f = m.folio(idx);
  // should_try_to_free_swap: locked VMA or folio, more than half of swap used, or a write
  // fault on an exclusive folio.
  // The folio's only user (folio_ref_count == 2 in the kernel: the swap cache and us).
  const bool sole_user = f.mapcount == 1 && swp_swapcount(m, entry) == 0;
  const bool swap_full = nr_swap_pages(m) * 2 < total_swap_pages(m);
  if ((vma->vm_flags & VM_LOCKED) || (f.flags & PG_mlocked) || swap_full ||
      ((flags & FAULT_FLAG_WRITE) && sole_user))
    folio_free_swap(m, idx);
  // Mapped writable at once only if the swap entry was exclusive (or the swap cache let
  // go of the folio and we are its sole user).
  const bool exclusive = swp_exclusive || (sole_user && !(f.flags & PG_swapcache));
  Pte pte{idx, Pte::kPresent, false, true, false};
  if (exclusive && (vma->vm_flags & VM_WRITE)) {
    pte.write = true;
    if (flags & FAULT_FLAG_WRITE) pte.dirty = true;
  } else if (flags & FAULT_FLAG_WRITE) {
    mm->page_table.set(vpn, pte);
    return do_wp_page(t, vma, addr, *mm->page_table.find(vpn));
  }
  mm->page_table.set(vpn, pte);
  return 0;
}

// mm/memory.c unmap_page_range / zap_page_range_single. No lru_add_drain here: on 6.18
// (measured, tests/host/probes) neither munmap nor MADV_DONTNEED drains the local batches;
// exit_mmap drains before it zaps.
void zap_page_range_single(Machine& m, Vma* vma, uint64_t start, uint64_t end) {
  MmStruct* mm = vma->vm_mm;
  mm->page_table.clear_range(start >> PAGE_SHIFT, end >> PAGE_SHIFT, [&](uint64_t, Pte& pte) {
    if (pte.kind == Pte::kSwap) {
      mm->rss_stat[MM_SWAPENTS]--;
      free_swap_and_cache(m, swp_unpack(pte.folio));
      return;
    }
    if (pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) return;
    const uint32_t idx = pte.folio;
    Folio& f = m.folio(idx);
    if (f.flags & PG_anon_mapping) {
      mm->rss_stat[MM_ANONPAGES]--;
    } else {
      mm->rss_stat[sim_file_rss_counter(static_cast<File*>(f.mapping))]--;
      if (pte.dirty) f.flags |= PG_dirty;
    }
    folio_remove_rmap_pte(m, idx, vma);
    // free_pages_and_swap_cache → free_swap_cache: an unmapped swap-cache folio whose slot
    // no PTE uses any more leaves the swap cache.
    if ((f.flags & PG_swapcache) && f.mapcount == 0) folio_free_swap(m, idx);
    folio_put(m, idx);
  });
}

// A user-mode access: the checks of arch/x86/mm/fault.c access_error, stack expansion
// (expand_stack), then handle_mm_fault for each page that needs it.
long user_access(Task& t, uint64_t addr, uint64_t len, bool write) {
  return sim_syscall(t, "access", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "do_user_addr_fault");
    if (len == 0) return 0;
    const uint64_t end = addr + len;
    if (end < addr) return -EFAULT;
    for (uint64_t a = addr & PAGE_MASK; a < end; a += PAGE_SIZE) {
      MmStruct* mm = t.mm.get();
      Vma* vma = vma_lookup(mm, a);
      if (!vma) {
        Vma* next = find_vma(mm, a);
        if (next && (next->vm_flags & VM_GROWSDOWN)) {
          if (int err = expand_downwards(t, next, a)) {
            TRACE_NOTE(m.trace, "stack expansion to %#x refused (%d): SIGSEGV", a, err);
            return -EFAULT;
          }
          vma = next;
        } else {
          TRACE_NOTE(m.trace, "no VMA at %#x: SIGSEGV", a);
          return -EFAULT;
        }
      }
      if (write ? !(vma->vm_flags & VM_WRITE) : !sim_vma_is_accessible(vma)) {
        TRACE_NOTE(m.trace, "%s access to %#x not permitted: SIGSEGV", write ? "write" : "read", a);
        return -EFAULT;
      }
      Pte* pte = mm->page_table.find(a >> PAGE_SHIFT);
      if (pte && pte->kind == Pte::kPresent && (!write || pte->write)) {
        pte->young = true;
        if (write) pte->dirty = true;
        continue;
      }
      if (int err = handle_mm_fault(t, vma, a, write ? unsigned{FAULT_FLAG_WRITE} : 0u)) return err;
    }
    return 0;
  });
}

}  // namespace mmsim
