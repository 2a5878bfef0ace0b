// Model of mm/madvise.c (Linux 6.18) and the MS_INVALIDATE check of mm/msync.c.
//
// Advice that changes VMA flags goes through madvise_update_vma → vma_modify_flags, the same
// merge/split engine as mlock. Page-level advice is modelled as far as docs/fidelity.md says.
#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

constexpr int kMadvPopulateRead = 22;
constexpr int kMadvPopulateWrite = 23;
constexpr int kMadvCollapse = 25;
constexpr int kMadvGuardInstall = 102;
constexpr int kMadvGuardRemove = 103;

// mm/madvise.c madvise_behavior_valid, for this machine's configuration (KSM and THP built
// in; no CONFIG_MEMORY_FAILURE, so MADV_HWPOISON and MADV_SOFT_OFFLINE are invalid).
bool madvise_behavior_valid(int behavior) {
  switch (behavior) {
    case MADV_DOFORK:
    case MADV_DONTFORK:
    case MADV_NORMAL:
    case MADV_SEQUENTIAL:
    case MADV_RANDOM:
    case MADV_REMOVE:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
    case MADV_FREE:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case kMadvPopulateRead:
    case kMadvPopulateWrite:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case kMadvCollapse:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case kMadvGuardInstall:
    case kMadvGuardRemove:
      return true;
    default:
      return false;
  }
}

// The advice values the model implements; the rest are refused by the scenario layer.
bool sim_madvise_modelled(int behavior) {
  return behavior != kMadvCollapse && behavior != kMadvGuardInstall &&
         behavior != kMadvGuardRemove && behavior != MADV_FREE;
}

struct MadviseRange {
  uint64_t start, end;
};

// mm/madvise.c madvise_update_vma.
int madvise_update_vma(Machine& m, MmStruct* mm, Vma* vma, Vma** prev, MadviseRange r,
                       vm_flags_t new_flags) {
  TRACE_FN(m.trace, "madvise_update_vma");
  if (new_flags == vma->vm_flags) {
    *prev = vma;
    return 0;
  }
  VmaOrErr res = vma_modify_flags(m, mm, *prev, vma, r.start, r.end, new_flags);
  if (res.err) return res.err;
  res.vma->vm_flags = new_flags;
  *prev = res.vma;
  return 0;
}

// mm/madvise.c madvise_cold_or_pageout_pte_range: only folios on the LRU and mapped once;
// COLD deactivates them, PAGEOUT isolates them for reclaim_pages.
void sim_cold_or_pageout_range(Machine& m, Vma* vma, uint64_t start, uint64_t end, bool pageout) {
  std::vector<uint32_t> folio_list;
  sim_for_each_pte(vma->vm_mm, start, end, [&](uint64_t, Pte& pte) {
    if (pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) return;
    Folio& f = m.folio(pte.folio);
    if (!(f.flags & PG_lru) || f.mapcount != 1) return;
    if (!pageout) pte.young = false;
    f.flags &= ~PG_referenced;
    if (pageout) {
      pte.young = false;
      if (folio_isolate_lru(m, pte.folio)) {
        if (f.flags & PG_unevictable) {
          folio_add_lru(m, pte.folio);  // folio_putback_lru
        } else {
          folio_list.push_back(pte.folio);
        }
      }
    } else {
      folio_deactivate(m, pte.folio);
    }
  });
  if (pageout && !folio_list.empty()) reclaim_pages(m, folio_list);
}

// mm/madvise.c madvise_vma_behavior for one VMA's part [r.start, r.end).
int madvise_vma_behavior(Task& t, Vma* vma, Vma** prev, MadviseRange r, int behavior) {
  Machine& m = *t.machine;
  MmStruct* mm = t.mm.get();
  vm_flags_t new_flags = vma->vm_flags;
  switch (behavior) {
    case MADV_REMOVE:
      *prev = nullptr;
      if (vma->vm_flags & VM_LOCKED) return -EINVAL;
      if (!vma->vm_file) return -EINVAL;
      if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) != (VM_SHARED | VM_MAYWRITE)) return -EACCES;
      zap_page_range_single(m, vma, r.start, r.end);
      return 0;
    case MADV_WILLNEED:
      // madvise_willneed: for anonymous (and shmem) memory the kernel walks the range to
      // start swap-ins and then pushes new pages onto the LRU with lru_add_drain; the model
      // has no swap readahead (docs/fidelity.md), but the drain is visible in kpageflags.
      *prev = vma;
      if (!vma->vm_file || vma->vm_file->shmem) lru_add_drain(m);
      return 0;
    case MADV_COLD:
    case MADV_PAGEOUT:
      *prev = vma;
      if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)) {
        TRACE_NOTE(m.trace, "%s refuses a VM_LOCKED/PFNMAP/hugetlb VMA: EINVAL",
                   behavior == MADV_COLD ? "MADV_COLD" : "MADV_PAGEOUT");
        return -EINVAL;
      }
      lru_add_drain(m);
      sim_cold_or_pageout_range(m, vma, r.start, r.end, behavior == MADV_PAGEOUT);
      return 0;
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED: {
      *prev = vma;
      vm_flags_t forbidden = VM_PFNMAP;
      if (behavior != MADV_DONTNEED_LOCKED) forbidden |= VM_LOCKED;
      if (vma->vm_flags & forbidden) {
        TRACE_NOTE(m.trace, "MADV_DONTNEED on a VM_LOCKED or PFNMAP VMA: EINVAL");
        return -EINVAL;
      }
      TRACE_NOTE(m.trace, "zap [%#x, %#x)", r.start, r.end);
      zap_page_range_single(m, vma, r.start, r.end);
      return 0;
    }
    case MADV_NORMAL:
      new_flags &= ~(VM_RAND_READ | VM_SEQ_READ);
      break;
    case MADV_SEQUENTIAL:
      new_flags = (new_flags & ~VM_RAND_READ) | VM_SEQ_READ;
      break;
    case MADV_RANDOM:
      new_flags = (new_flags & ~VM_SEQ_READ) | VM_RAND_READ;
      break;
    case MADV_DONTFORK:
      new_flags |= VM_DONTCOPY;
      break;
    case MADV_DOFORK:
      if (new_flags & VM_IO) return -EINVAL;
      new_flags &= ~VM_DONTCOPY;
      break;
    case MADV_WIPEONFORK:
      if (vma->vm_file || (new_flags & VM_SHARED)) return -EINVAL;
      new_flags |= VM_WIPEONFORK;
      break;
    case MADV_KEEPONFORK:
      if (new_flags & VM_DROPPABLE) return -EINVAL;
      new_flags &= ~VM_WIPEONFORK;
      break;
    case MADV_DONTDUMP:
      new_flags |= VM_DONTDUMP;
      break;
    case MADV_DODUMP:
      if ((!(new_flags & VM_HUGETLB) && (new_flags & VM_SPECIAL)) || (new_flags & VM_DROPPABLE))
        return -EINVAL;
      new_flags &= ~VM_DONTDUMP;
      break;
    case MADV_MERGEABLE:
      // ksm_madvise: only where vma_ksm_compatible.
      if (!(new_flags & (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_HUGETLB |
                         VM_MIXEDMAP | VM_DROPPABLE)))
        new_flags |= VM_MERGEABLE;
      break;
    case MADV_UNMERGEABLE:
      new_flags &= ~VM_MERGEABLE;
      break;
    case MADV_HUGEPAGE:
      new_flags = (new_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
      break;
    case MADV_NOHUGEPAGE:
      new_flags = (new_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
      break;
    default:
      return -EINVAL;
  }
  int error = madvise_update_vma(m, mm, vma, prev, r, new_flags);
  if (error == -ENOMEM) {
    TRACE_NOTE(m.trace, "ENOMEM from merge/split becomes EAGAIN");
    error = -EAGAIN;
  }
  return error;
}

// mm/madvise.c madvise_populate: fault the range in, read or write; holes are ENOMEM.
long sim_madvise_populate(Task& t, uint64_t start, uint64_t end, bool write) {
  MmStruct* mm = t.mm.get();
  for (uint64_t a = start; a < end; a += PAGE_SIZE) {
    Vma* vma = vma_lookup(mm, a);
    if (!vma) return -ENOMEM;
    if (vma->vm_flags & (VM_IO | VM_PFNMAP)) return -EINVAL;
    if (write ? !(vma->vm_flags & VM_WRITE) : !(vma->vm_flags & VM_READ)) return -EINVAL;
    const Pte* pte = mm->page_table.find(a >> PAGE_SHIFT);
    if (pte && pte->kind == Pte::kPresent && (!write || pte->write)) continue;
    if (handle_mm_fault(t, vma, a, write ? unsigned{FAULT_FLAG_WRITE} : 0u)) return -EFAULT;
  }
  return 0;
}

}  // namespace

bool sim_madvise_is_modelled(int behavior) {
  return madvise_behavior_valid(behavior) && sim_madvise_modelled(behavior);
}

long sys_madvise(Task& t, uint64_t start, uint64_t len_in, int behavior) {
  return sim_syscall(t, "madvise", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "do_madvise");
    MmStruct* mm = t.mm.get();
    // is_valid_madvise
    if (!madvise_behavior_valid(behavior)) return -EINVAL;
    if (start & ~PAGE_MASK) return -EINVAL;
    const uint64_t len = PAGE_ALIGN(len_in);
    if (len_in && !len) return -EINVAL;
    if (start + len < start) return -EINVAL;
    if (start + len == start) return 0;
    const uint64_t end = start + len;
    if (behavior == kMadvPopulateRead || behavior == kMadvPopulateWrite)
      return sim_madvise_populate(t, start, end, behavior == kMadvPopulateWrite);

    // madvise_walk_vmas: holes are skipped and reported as ENOMEM at the end; any other
    // error stops the walk with earlier VMAs already advised.
    int unmapped_error = 0;
    Vma* prev = nullptr;
    Vma* vma = find_vma_prev(mm, start, &prev);
    if (vma && start > vma->vm_start) prev = vma;
    MadviseRange r{start, end};
    for (;;) {
      if (!vma) return -ENOMEM;
      if (r.start < vma->vm_start) {
        unmapped_error = -ENOMEM;
        r.start = vma->vm_start;
        if (r.start >= end) break;
      }
      MadviseRange part{r.start, std::min(vma->vm_end, end)};
      if (int error = madvise_vma_behavior(t, vma, &prev, part, behavior)) return error;
      r.start = part.end;
      if (prev && r.start < prev->vm_end) r.start = prev->vm_end;
      if (r.start >= end) break;
      vma = find_vma(mm, prev ? prev->vm_end : r.start);
    }
    return unmapped_error;
  });
}

// mm/msync.c sys_msync: only the argument checks and MS_INVALIDATE's EBUSY on locked VMAs
// are modelled (there is no writeback to do).
long sys_msync(Task& t, uint64_t start, uint64_t len, int flags) {
  return sim_syscall(t, "msync", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "sys_msync");
    MmStruct* mm = t.mm.get();
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) return -EINVAL;
    if (start & ~PAGE_MASK) return -EINVAL;
    if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return -EINVAL;
    len = (len + ~PAGE_MASK) & PAGE_MASK;
    const uint64_t end = start + len;
    if (end < start) return -ENOMEM;
    if (end == start) return 0;
    int unmapped_error = 0;
    Vma* vma = find_vma(mm, start);
    for (;;) {
      if (!vma) return -ENOMEM;
      if (start < vma->vm_start) {
        if (flags == MS_ASYNC) return -ENOMEM;
        start = vma->vm_start;
        if (start >= end) return -ENOMEM;
        unmapped_error = -ENOMEM;
      }
      if ((flags & MS_INVALIDATE) && (vma->vm_flags & VM_LOCKED)) {
        TRACE_NOTE(m.trace, "MS_INVALIDATE on a VM_LOCKED VMA: EBUSY");
        return -EBUSY;
      }
      start = vma->vm_end;
      if (start >= end) return unmapped_error;
      vma = find_vma(mm, start);
    }
  });
}

// mm/madvise.c madvise_set_anon_name (reached from prctl(PR_SET_VMA_ANON_NAME)): walk the
// range like madvise, renaming anonymous VMAs through vma_modify_name.
long madvise_set_anon_name(Task& t, uint64_t start, uint64_t len_in, AnonVmaName name) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "madvise_set_anon_name");
  MmStruct* mm = t.mm.get();
  if (start & ~PAGE_MASK) return -EINVAL;
  const uint64_t len = (len_in + ~PAGE_MASK) & PAGE_MASK;
  if (len_in && !len) return -EINVAL;
  const uint64_t end = start + len;
  if (end < start) return -EINVAL;
  if (end == start) return 0;
  int unmapped_error = 0;
  Vma* prev = nullptr;
  Vma* vma = find_vma_prev(mm, start, &prev);
  if (vma && start > vma->vm_start) prev = vma;
  uint64_t cur = start;
  for (;;) {
    if (!vma) return -ENOMEM;
    if (cur < vma->vm_start) {
      unmapped_error = -ENOMEM;
      cur = vma->vm_start;
      if (cur >= end) break;
    }
    const uint64_t part_end = std::min(vma->vm_end, end);
    if (vma->vm_file && !vma->vm_file->shmem) return -EBADF;
    const bool same =
        (!vma->anon_name && !name) || (vma->anon_name && name && *vma->anon_name == *name);
    if (same) {
      prev = vma;
    } else {
      VmaOrErr r = vma_modify_flags_name(m, mm, prev, vma, cur, part_end, vma->vm_flags, name);
      if (r.err) return r.err == -ENOMEM ? -EAGAIN : r.err;
      r.vma->anon_name = name;
      prev = r.vma;
    }
    cur = std::max(part_end, prev->vm_end);
    if (cur >= end) break;
    vma = find_vma(mm, prev->vm_end);
  }
  return unmapped_error;
}

}  // namespace mmsim
