// Model of mm/mlock.c (Linux 6.18): the mlock family of system calls, the VMA-side
// mlock_fixup, and the folio-side mlock_folio / munlock_folio / mlock_new_folio.
//
// The page side goes through the per-CPU mlock folio batch: PG_mlocked and nr_mlock change at
// once, the move to or from the unevictable list when the batch is drained (lru_add_drain).
#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

// ---- folio side ----

// mm/mlock.c __mlock_folio (batch processing of mlock_folio).
static void __mlock_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if (!(f.flags & PG_lru)) return;  // off the LRU (still in lru_add, or isolated)
  f.flags &= ~PG_lru;
  if (folio_evictable(f)) {
    // PG_mlocked was cleared meanwhile: rescue it if it is unevictable.
    if (f.flags & PG_unevictable) {
      lruvec_del_folio(m, idx);
      f.flags &= ~PG_unevictable;
      lruvec_add_folio(m, idx);
      m.vmstat[unevictable_pgs_rescued]++;
    }
  } else if (f.flags & PG_unevictable) {
    if (f.flags & PG_mlocked) f.mlock_count()++;
  } else {
    lruvec_del_folio(m, idx);
    f.flags &= ~PG_active;
    f.flags |= PG_unevictable;
    f.mlock_count() = (f.flags & PG_mlocked) ? 1 : 0;
    lruvec_add_folio(m, idx);
    m.vmstat[unevictable_pgs_culled]++;
  }
  f.flags |= PG_lru;
}

// mm/mlock.c __mlock_new_folio: a new folio, not yet on any list.
static void __mlock_new_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if (!folio_evictable(f)) {
    f.flags &= ~PG_active;
    f.flags |= PG_unevictable;
    f.mlock_count() = (f.flags & PG_mlocked) ? 1 : 0;
    m.vmstat[unevictable_pgs_culled]++;
  }
  lruvec_add_folio(m, idx);
  f.flags |= PG_lru;
}

// mm/mlock.c __munlock_folio.
static void __munlock_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  const bool isolated = f.flags & PG_lru;
  if (isolated) {
    f.flags &= ~PG_lru;
    if (f.flags & PG_unevictable) {
      if (f.mlock_count()) f.mlock_count()--;
      if (f.mlock_count()) {  // another VM_LOCKED mapping still holds it
        f.flags |= PG_lru;
        return;
      }
    }
  }
  if (f.flags & PG_mlocked) {
    f.flags &= ~PG_mlocked;
    m.vmstat[nr_mlock]--;
    if (isolated || !(f.flags & PG_unevictable)) {
      m.vmstat[unevictable_pgs_munlocked]++;
    } else {
      m.vmstat[unevictable_pgs_stranded]++;
    }
  }
  if (isolated && (f.flags & PG_unevictable) && folio_evictable(f)) {
    lruvec_del_folio(m, idx);
    f.flags &= ~PG_unevictable;
    lruvec_add_folio(m, idx);
    m.vmstat[unevictable_pgs_rescued]++;
  }
  if (isolated) f.flags |= PG_lru;
}

// mm/mlock.c mlock_folio_batch: process and release the whole batch.
void mlock_folio_batch(Machine& m, FolioBatch& b) {
  const uint8_t n = b.nr;
  b.nr = 0;
  for (uint8_t i = 0; i < n; ++i) {
    const uint32_t idx = b.folios[i];
    if (b.tags[i] == kMlockLruFolio) {
      __mlock_folio(m, idx);
    } else if (b.tags[i] == kMlockNewFolio) {
      __mlock_new_folio(m, idx);
    } else {
      __munlock_folio(m, idx);
    }
  }
  for (uint8_t i = 0; i < n; ++i) sim_batch_put(m, b.folios[i]);
}

void mlock_drain_local(Machine& m) {
  FolioBatch& b = m.cpu_fbatches[m.cpu].mlock;
  if (b.nr) mlock_folio_batch(m, b);
}

static void sim_mlock_batch_add(Machine& m, uint32_t idx, uint8_t tag) {
  FolioBatch& b = m.cpu_fbatches[m.cpu].mlock;
  m.folio(idx).batch_refs++;
  b.folios[b.nr] = idx;
  b.tags[b.nr] = tag;
  if (++b.nr == FOLIO_BATCH_SIZE) mlock_folio_batch(m, b);
}

// mm/mlock.c mlock_folio: PG_mlocked and its counters now, the list move at drain.
void mlock_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  if (!(f.flags & PG_mlocked)) {
    f.flags |= PG_mlocked;
    m.vmstat[nr_mlock]++;
    m.vmstat[unevictable_pgs_mlocked]++;
  }
  sim_mlock_batch_add(m, idx, kMlockLruFolio);
}

// mm/mlock.c mlock_new_folio: a folio faulted into a VM_LOCKED VMA.
void mlock_new_folio(Machine& m, uint32_t idx) {
  Folio& f = m.folio(idx);
  f.flags |= PG_mlocked;
  m.vmstat[nr_mlock]++;
  m.vmstat[unevictable_pgs_mlocked]++;
  sim_mlock_batch_add(m, idx, kMlockNewFolio);
}

// mm/mlock.c munlock_folio: the decision is made at drain (__munlock_folio).
void munlock_folio(Machine& m, uint32_t idx) { sim_mlock_batch_add(m, idx, 0); }

// mm/internal.h mlock_vma_folio.
void mlock_vma_folio(Machine& m, uint32_t idx, const Vma* vma) {
  if ((vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED) mlock_folio(m, idx);
}

// mm/internal.h munlock_vma_folio.
void munlock_vma_folio(Machine& m, uint32_t idx, const Vma* vma) {
  if (vma->vm_flags & VM_LOCKED) munlock_folio(m, idx);
}

// mm/mlock.c mlock_vma_pages_range: store the new flags, then mlock or munlock every
// present normal folio of the range (mlock_pte_range). The zero page is skipped.
void mlock_vma_pages_range(Machine& m, Vma* vma, uint64_t start, uint64_t end,
                           vm_flags_t newflags) {
  TRACE_FN(m.trace, "mlock_vma_pages_range");
  vma->vm_flags = newflags;
  lru_add_drain(m);
  int n = 0;
  sim_for_each_pte(vma->vm_mm, start, end, [&](uint64_t, Pte& pte) {
    if (pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) return;
    if (vma->vm_flags & VM_LOCKED) {
      mlock_folio(m, pte.folio);
    } else {
      munlock_folio(m, pte.folio);
    }
    ++n;
  });
  lru_add_drain(m);
  TRACE_NOTE(m.trace, "%s %d present folio%s", (newflags & VM_LOCKED) ? "mlock" : "munlock", n,
             n == 1 ? "" : "s");
}

// ---- VMA side ----

bool can_do_mlock(Task& t) {
  if (t.rlimit(RLIMIT_MEMLOCK) != 0) return true;
  if (t.capable(CAP_IPC_LOCK_BIT)) return true;
  return false;
}

// mm/mlock.c mlock_fixup: change the lock flags of [start, end) within vma; vmi is left on
// the VMA that now covers the range.
static int mlock_fixup(Machine& m, MmStruct* mm, VmaIterator* vmi, Vma* vma, Vma** prev,
                       uint64_t start, uint64_t end, vm_flags_t newflags) {
  TRACE_FN(m.trace, "mlock_fixup");
  const vm_flags_t oldflags = vma->vm_flags;
  if (newflags == oldflags || (oldflags & VM_SPECIAL) || (oldflags & VM_HUGETLB) ||
      (oldflags & VM_DROPPABLE)) {
    TRACE_NOTE(m.trace, "[%#x, %#x): %s: left alone, not counted", start, end,
               newflags == oldflags      ? "flags already as requested"
               : (oldflags & VM_SPECIAL) ? "VM_SPECIAL mapping"
               : (oldflags & VM_HUGETLB) ? "hugetlb mapping"
                                         : "VM_DROPPABLE mapping");
    *prev = vma;
    sim_vma_iter_on(vmi, vma);
    return 0;
  }
  VmaOrErr r = vma_modify_flags(m, mm, *prev, vma, start, end, newflags);
  if (r.err) {
    *prev = vma;
    sim_vma_iter_on(vmi, vma);
    return r.err;
  }
  vma = r.vma;
  int64_t nr_pages = static_cast<int64_t>(PHYS_PFN(end - start));
  if (!(newflags & VM_LOCKED)) {
    nr_pages = -nr_pages;
  } else if (oldflags & VM_LOCKED) {
    nr_pages = 0;
  }
  mm->locked_vm += nr_pages;
  TRACE_NOTE(m.trace, "locked_vm %+ld pages -> %lu", nr_pages, mm->locked_vm);
  if ((newflags & VM_LOCKED) && (oldflags & VM_LOCKED)) {
    vma->vm_flags = newflags;  // no page work: mlocking twice would double-count
  } else {
    mlock_vma_pages_range(m, vma, start, end, newflags);
  }
  *prev = vma;
  sim_vma_iter_on(vmi, vma);
  return 0;
}

// mm/mlock.c apply_vma_lock_flags: walk [start, start+len); a hole is ENOMEM, after the
// VMAs before it were already changed.
static int apply_vma_lock_flags(Machine& m, MmStruct* mm, uint64_t start, uint64_t len,
                                vm_flags_t flags) {
  TRACE_FN(m.trace, "apply_vma_lock_flags");
  const uint64_t end = start + len;
  if (end < start) return -EINVAL;
  if (end == start) return 0;
  VMA_ITERATOR(vmi, mm, start);
  Vma* vma = vma_iter_load(&vmi);
  if (!vma) {
    TRACE_NOTE(m.trace, "no VMA contains %#x: ENOMEM", start);
    return -ENOMEM;
  }
  Vma* prev = vma_prev(&vmi);
  if (start > vma->vm_start) prev = vma;
  uint64_t nstart = start;
  uint64_t tmp = vma->vm_start;
  for_each_vma_range(vmi, vma, end) {
    if (vma->vm_start != tmp) {
      TRACE_NOTE(m.trace, "hole at [%#x, %#x): ENOMEM (earlier VMAs stay changed)", tmp,
                 vma->vm_start);
      return -ENOMEM;
    }
    vm_flags_t newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | flags;
    tmp = std::min(vma->vm_end, end);
    if (int error = mlock_fixup(m, mm, &vmi, vma, &prev, nstart, tmp, newflags)) return error;
    tmp = vma_iter_end(&vmi);
    nstart = tmp;
  }
  if (tmp < end) {
    TRACE_NOTE(m.trace, "range ends in a hole at %#x: ENOMEM (earlier VMAs stay changed)", tmp);
    return -ENOMEM;
  }
  return 0;
}

// mm/mlock.c count_mm_mlocked_page_nr: pages of [start, start+len) already in VM_LOCKED VMAs.
static uint64_t count_mm_mlocked_page_nr(MmStruct* mm, uint64_t start, uint64_t len) {
  uint64_t end = start + len;
  if (end < start) end = ~uint64_t{0};
  uint64_t count = 0;
  VMA_ITERATOR(vmi, mm, start);
  Vma* vma;
  for_each_vma_range(vmi, vma, end) {
    if (!(vma->vm_flags & VM_LOCKED)) continue;
    const uint64_t s = std::max(start, vma->vm_start);
    const uint64_t e = std::min(end, vma->vm_end);
    count += e - s;
  }
  return count >> PAGE_SHIFT;
}

// mm/mlock.c __mlock_posix_error_return: population errors as POSIX wants them.
static long __mlock_posix_error_return(long retval) {
  if (retval == -EFAULT) return -ENOMEM;
  if (retval == -ENOMEM) return -EAGAIN;
  return retval;
}

// mm/mlock.c do_mlock.
static long do_mlock(Task& t, uint64_t start, uint64_t len, vm_flags_t flags) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "do_mlock");
  MmStruct* mm = t.mm.get();
  if (!can_do_mlock(t)) {
    TRACE_NOTE(m.trace, "can_do_mlock: RLIMIT_MEMLOCK is 0 and no CAP_IPC_LOCK: EPERM");
    return -EPERM;
  }
  len = PAGE_ALIGN(len + offset_in_page(start));
  start &= PAGE_MASK;
  const uint64_t lock_limit = t.rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
  uint64_t locked = len >> PAGE_SHIFT;
  locked += mm->locked_vm;
  const bool cap = t.capable(CAP_IPC_LOCK_BIT);
  TRACE_NOTE(m.trace, "range [%#x, %#x): %lu pages + locked_vm %lu = %lu, limit %lu pages%s", start,
             start + len, len >> PAGE_SHIFT, mm->locked_vm, locked, lock_limit,
             cap ? " (ignored: CAP_IPC_LOCK)" : "");
  if (locked > lock_limit && !cap) {
    const uint64_t already = count_mm_mlocked_page_nr(mm, start, len);
    locked -= already;
    TRACE_NOTE(m.trace, "count_mm_mlocked_page_nr: %lu pages of the range already locked -> %lu",
               already, locked);
  }
  long error = -ENOMEM;
  if (locked <= lock_limit || cap) {
    error = apply_vma_lock_flags(m, mm, start, len, flags);
  } else {
    TRACE_NOTE(m.trace, "%lu > %lu: ENOMEM, nothing changed", locked, lock_limit);
  }
  if (error) return error;
  error = __mm_populate(t, start, len, false);
  if (error) return __mlock_posix_error_return(error);
  return 0;
}

long sys_mlock(Task& t, uint64_t start, uint64_t len) {
  return sim_syscall(t, "mlock", [&]() -> long {
    TRACE_FN(t.machine->trace, "sys_mlock");
    return do_mlock(t, start, len, VM_LOCKED);
  });
}

long sys_mlock2(Task& t, uint64_t start, uint64_t len, uint64_t flags) {
  return sim_syscall(t, "mlock2", [&]() -> long {
    TRACE_FN(t.machine->trace, "sys_mlock2");
    vm_flags_t vm_flags = VM_LOCKED;
    if (flags & ~uint64_t{MLOCK_ONFAULT}) return -EINVAL;
    if (flags & MLOCK_ONFAULT) vm_flags |= VM_LOCKONFAULT;
    return do_mlock(t, start, len, vm_flags);
  });
}

long sys_munlock(Task& t, uint64_t start, uint64_t len) {
  return sim_syscall(t, "munlock", [&]() -> long {
    TRACE_FN(t.machine->trace, "sys_munlock");
    len = PAGE_ALIGN(len + offset_in_page(start));
    start &= PAGE_MASK;
    return apply_vma_lock_flags(*t.machine, t.mm.get(), start, len, 0);
  });
}

// mm/mlock.c apply_mlockall_flags: def_flags for MCL_FUTURE, then every VMA for MCL_CURRENT
// (or for munlockall, flags 0). Errors of single VMAs are ignored.
static void apply_mlockall_flags(Machine& m, MmStruct* mm, uint64_t flags) {
  TRACE_FN(m.trace, "apply_mlockall_flags");
  mm->def_flags &= ~VM_LOCKED_MASK;
  vm_flags_t to_add = 0;
  if (flags & MCL_FUTURE) {
    mm->def_flags |= VM_LOCKED;
    if (flags & MCL_ONFAULT) mm->def_flags |= VM_LOCKONFAULT;
    TRACE_NOTE(m.trace, "def_flags gains VM_LOCKED%s",
               (flags & MCL_ONFAULT) ? "|VM_LOCKONFAULT" : "");
    if (!(flags & MCL_CURRENT)) return;
  }
  if (flags & MCL_CURRENT) {
    to_add |= VM_LOCKED;
    if (flags & MCL_ONFAULT) to_add |= VM_LOCKONFAULT;
  }
  VMA_ITERATOR(vmi, mm, 0);
  Vma* prev = nullptr;
  Vma* vma;
  for_each_vma(vmi, vma) {
    vm_flags_t newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | to_add;
    (void)mlock_fixup(m, mm, &vmi, vma, &prev, vma->vm_start, vma->vm_end, newflags);
  }
}

long sys_mlockall(Task& t, uint64_t flags) {
  return sim_syscall(t, "mlockall", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "sys_mlockall");
    if (!flags || (flags & ~uint64_t{MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT}) ||
        flags == MCL_ONFAULT) {
      TRACE_NOTE(m.trace, "flags %#x invalid: EINVAL", flags);
      return -EINVAL;
    }
    if (!can_do_mlock(t)) {
      TRACE_NOTE(m.trace, "can_do_mlock: RLIMIT_MEMLOCK is 0 and no CAP_IPC_LOCK: EPERM");
      return -EPERM;
    }
    MmStruct* mm = t.mm.get();
    const uint64_t lock_limit = t.rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
    long ret = -ENOMEM;
    const bool cap = t.capable(CAP_IPC_LOCK_BIT);
    if (flags & MCL_CURRENT) {
      TRACE_NOTE(m.trace, "MCL_CURRENT: total_vm %lu pages vs limit %lu pages%s", mm->total_vm,
                 lock_limit, cap ? " (ignored: CAP_IPC_LOCK)" : "");
    }
    if (!(flags & MCL_CURRENT) || mm->total_vm <= lock_limit || cap) {
      for (MachineObserver* o : m.observers()) o->on_mlockall_walk(t, flags, false);
      apply_mlockall_flags(m, mm, flags);
      ret = 0;
    } else {
      TRACE_NOTE(m.trace, "total_vm over the limit: ENOMEM, def_flags and VMAs unchanged");
    }
    if (!ret && (flags & MCL_CURRENT)) mm_populate(t, 0, TASK_SIZE);
    return ret;
  });
}

long sys_munlockall(Task& t) {
  return sim_syscall(t, "munlockall", [&]() -> long {
    TRACE_FN(t.machine->trace, "sys_munlockall");
    for (MachineObserver* o : t.machine->observers()) o->on_mlockall_walk(t, 0, true);
    apply_mlockall_flags(*t.machine, t.mm.get(), 0);
    return 0;
  });
}

}  // namespace mmsim
