// Model of mm/mmap.c (Linux 6.18, x86-64): mmap, munmap, brk, address-space placement
// (top-down get_unmapped_area), the address-space counters and the MCL_FUTURE / MAP_LOCKED
// limit check mlock_future_ok, plus stack growth (expand_downwards, acct_stack_growth).
#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

// include/linux/mm.h (mm/internal.h) mapping classes used by vm_stat_account.
bool is_exec_mapping(vm_flags_t f) { return (f & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) == VM_EXEC; }
bool is_stack_mapping(vm_flags_t f) { return (f & VM_GROWSDOWN) == VM_GROWSDOWN; }
bool is_data_mapping(vm_flags_t f) {
  return (f & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE;
}

uint64_t vm_start_gap(const Vma* v) {
  uint64_t s = v->vm_start;
  if (v->vm_flags & VM_GROWSDOWN) s = s > STACK_GUARD_GAP ? s - STACK_GUARD_GAP : 0;
  return s;
}

// mm/vma.c unmapped_area_topdown over [low, high): the highest gap that fits.
int64_t sim_unmapped_area_topdown(MmStruct* mm, uint64_t len, uint64_t low, uint64_t high) {
  // The first VMA ending above high (it may straddle high: its start then bounds the gap).
  auto it = mm->mm_mt.upper_bound(high);
  uint64_t gap_end = high;
  if (it != mm->mm_mt.end()) gap_end = std::min(gap_end, vm_start_gap(it->second.get()));
  for (;;) {
    const Vma* prev = it == mm->mm_mt.begin() ? nullptr : std::prev(it)->second.get();
    const uint64_t gap_start = std::max(prev ? prev->vm_end : low, low);
    if (gap_end >= gap_start && gap_end - gap_start >= len) return (gap_end - len) & PAGE_MASK;
    if (!prev) break;
    --it;
    gap_end = std::min(gap_end, vm_start_gap(prev));
    if (gap_end < low + len) break;
  }
  return -ENOMEM;
}

// mm/vma.c unmapped_area (bottom-up) over [low, high): the lowest gap that fits.
int64_t sim_unmapped_area(MmStruct* mm, uint64_t len, uint64_t low, uint64_t high) {
  uint64_t gap_start = low;
  // From the first VMA ending above low (one straddling low yields an empty first gap).
  for (auto it = mm->mm_mt.upper_bound(low);; ++it) {
    const uint64_t gap_end =
        it == mm->mm_mt.end() ? high : std::min(high, vm_start_gap(it->second.get()));
    if (gap_end >= gap_start && gap_end - gap_start >= len) return gap_start;
    if (it == mm->mm_mt.end() || gap_end >= high) break;
    gap_start = std::max(gap_start, it->second->vm_end);
  }
  return -ENOMEM;
}

}  // namespace

void vm_stat_account(MmStruct* mm, vm_flags_t flags, int64_t npages) {
  mm->total_vm += npages;
  if (is_exec_mapping(flags)) {
    mm->exec_vm += npages;
  } else if (is_stack_mapping(flags)) {
    mm->stack_vm += npages;
  } else if (is_data_mapping(flags)) {
    mm->data_vm += npages;
  }
  mm->hiwater_vm = std::max(mm->hiwater_vm, mm->total_vm);
}

bool may_expand_vm(Task& t, vm_flags_t flags, uint64_t npages) {
  MmStruct* mm = t.mm.get();
  if (mm->total_vm + npages > (t.rlimit(RLIMIT_AS) >> PAGE_SHIFT)) return false;
  if (is_data_mapping(flags) && mm->data_vm + npages > (t.rlimit(RLIMIT_DATA) >> PAGE_SHIFT)) {
    // The Valgrind workaround: a zero soft limit still allows up to the hard limit.
    if (t.rlimit(RLIMIT_DATA) == 0 &&
        mm->data_vm + npages <= (t.rlim->max[RLIMIT_DATA] >> PAGE_SHIFT))
      return true;
    return false;
  }
  return true;
}

bool mlock_future_ok(Task& t, MmStruct* mm, vm_flags_t flags, uint64_t bytes) {
  if (!(flags & VM_LOCKED) || t.capable(CAP_IPC_LOCK_BIT)) return true;
  const uint64_t locked_pages = (bytes >> PAGE_SHIFT) + mm->locked_vm;
  const uint64_t limit_pages = t.rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
  TRACE_NOTE(t.machine->trace, "mlock_future_ok: %lu new + %lu locked = %lu pages vs limit %lu",
             bytes >> PAGE_SHIFT, mm->locked_vm, locked_pages, limit_pages);
  return locked_pages <= limit_pages;
}

// mm/mmap.c __get_unmapped_area + arch/x86 arch_get_unmapped_area_topdown.
uint64_t get_unmapped_area(Task& t, File* file, uint64_t addr, uint64_t len, uint64_t flags) {
  (void)file;
  MmStruct* mm = t.mm.get();
  if (len > TASK_SIZE) return static_cast<uint64_t>(-ENOMEM);
  if (!(flags & MAP_FIXED)) {
    bool placed = false;
    if (addr) {
      addr &= PAGE_MASK;
      if (TASK_SIZE - len >= addr) {
        Vma* vma = find_vma(mm, addr);
        Vma* prev = nullptr;
        find_vma_prev(mm, addr, &prev);
        if ((!vma || addr + len <= vm_start_gap(vma)) && (!prev || prev->vm_end <= addr))
          placed = true;
      }
    }
    if (!placed) {
      int64_t r =
          sim_unmapped_area_topdown(mm, len, std::max(PAGE_SIZE, MMAP_MIN_ADDR), mm->mmap_base);
      if (r < 0) r = sim_unmapped_area(mm, len, PAGE_ALIGN(TASK_SIZE / 3), TASK_SIZE);
      if (r < 0) return static_cast<uint64_t>(r);
      addr = static_cast<uint64_t>(r);
    }
  }
  if (addr > TASK_SIZE - len) return static_cast<uint64_t>(-ENOMEM);
  if (offset_in_page(addr)) return static_cast<uint64_t>(-EINVAL);
  return addr;
}

// mm/vma.c __mmap_region: unmap what is in the way, try to merge, else make a new VMA,
// then __mmap_complete.
static int64_t mmap_region(Task& t, File* file, uint64_t addr, uint64_t len, vm_flags_t vm_flags,
                           pgoff_t pgoff) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "__mmap_region");
  MmStruct* mm = t.mm.get();
  const uint64_t end = addr + len;
  const uint64_t pglen = len >> PAGE_SHIFT;
  // __mmap_prepare: the pages that MAP_FIXED replaces count against the limits.
  uint64_t nr_pages_replaced = 0;
  VMA_ITERATOR(vmi, mm, addr);
  Vma* v;
  for_each_vma_range(vmi, v, end) {
    const uint64_t s = std::max(addr, v->vm_start), e = std::min(end, v->vm_end);
    nr_pages_replaced += (e - s) >> PAGE_SHIFT;
  }
  if (nr_pages_replaced) {
    if (int err = do_vmi_munmap(m, mm, addr, len)) return err;
  }
  if (!may_expand_vm(t, vm_flags, pglen - nr_pages_replaced)) {
    TRACE_NOTE(m.trace, "may_expand_vm: RLIMIT_AS/RLIMIT_DATA exceeded: ENOMEM");
    return -ENOMEM;
  }
  // accountable_mapping: private writable, not NORESERVE.
  if ((vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE) vm_flags |= VM_ACCOUNT;

  VmaMergeStruct vmg;
  vmg.mm = mm;
  vmg.start = addr;
  vmg.end = end;
  vmg.pgoff = pgoff;
  vmg.vm_flags = vm_flags;
  vmg.file = file;
  vmg.next = find_vma_prev(mm, addr, &vmg.prev);
  Vma* vma = nullptr;
  if (vmg.prev || vmg.next) vma = vma_merge_new_range(m, vmg);
  if (!vma) {
    auto nv = std::make_unique<Vma>();
    nv->vm_start = addr;
    nv->vm_end = end;
    nv->vm_flags = vm_flags;
    nv->vm_pgoff = pgoff;
    nv->vm_file = file;
    if (!file && (vm_flags & VM_SHARED)) {
      // shmem_zero_setup: shared anonymous memory is a shmem file of its own.
      nv->vm_file = m.create_shmem_file(len);
    }
    vma = vma_link(m, mm, std::move(nv));
    TRACE_NOTE(m.trace, "new VMA [%#x, %#x)", addr, end);
  }
  // __mmap_complete.
  vm_stat_account(mm, vma->vm_flags, static_cast<int64_t>(pglen));
  if (vm_flags & VM_LOCKED) {
    // vma_supports_mlock: special, hugetlb and (with the 2026 fix this 6.18.y carries)
    // droppable mappings are not locked, although the limit was checked and they are
    // prefaulted (do_mmap decided *populate from the flags before this).
    if ((vm_flags & VM_SPECIAL) || (vm_flags & VM_HUGETLB) || (vm_flags & VM_DROPPABLE)) {
      vma->vm_flags &= ~VM_LOCKED_MASK;
    } else {
      mm->locked_vm += pglen;
      TRACE_NOTE(m.trace, "VM_LOCKED mapping: locked_vm += %lu -> %lu", pglen, mm->locked_vm);
    }
  }
  vma->vm_flags |= VM_SOFTDIRTY;
  return static_cast<int64_t>(addr);
}

// mm/mmap.c do_mmap.
static int64_t do_mmap(Task& t, File* file, const OpenFile* of, uint64_t addr, uint64_t len,
                       uint64_t prot, uint64_t flags, pgoff_t pgoff, uint64_t* populate) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "do_mmap");
  MmStruct* mm = t.mm.get();
  *populate = 0;
  if (!len) return -EINVAL;
  if (flags & MAP_FIXED_NOREPLACE) flags |= MAP_FIXED;
  if (!(flags & MAP_FIXED)) {
    // round_hint_to_min
    addr &= PAGE_MASK;
    if (addr && addr < MMAP_MIN_ADDR) addr = PAGE_ALIGN(MMAP_MIN_ADDR);
  }
  len = PAGE_ALIGN(len);
  if (!len) return -ENOMEM;
  if (pgoff + (len >> PAGE_SHIFT) < pgoff) return -EOVERFLOW;
  if (mm->map_count > m.max_map_count()) {
    TRACE_NOTE(m.trace, "map_count %d > max_map_count %d: ENOMEM", mm->map_count,
               m.max_map_count());
    return -ENOMEM;
  }
  // calc_vm_prot_bits | calc_vm_flag_bits | def_flags | VM_MAY*.
  vm_flags_t vm_flags = 0;
  if (prot & PROT_READ) vm_flags |= VM_READ;
  if (prot & PROT_WRITE) vm_flags |= VM_WRITE;
  if (prot & PROT_EXEC) vm_flags |= VM_EXEC;
  if (flags & MAP_GROWSDOWN) vm_flags |= VM_GROWSDOWN;
  if (flags & MAP_LOCKED) vm_flags |= VM_LOCKED;
  if (flags & MAP_STACK) vm_flags |= VM_NOHUGEPAGE;
  vm_flags |= mm->def_flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

  addr = get_unmapped_area(t, file, addr, len, flags);
  if (static_cast<int64_t>(addr) < 0 && static_cast<int64_t>(addr) > -4096)
    return static_cast<int64_t>(addr);
  if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len)) {
    TRACE_NOTE(m.trace, "MAP_FIXED_NOREPLACE over an existing mapping: EEXIST");
    return -EEXIST;
  }
  if ((flags & MAP_LOCKED) && !can_do_mlock(t)) {
    TRACE_NOTE(m.trace, "MAP_LOCKED: RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK: EPERM");
    return -EPERM;
  }
  if (!mlock_future_ok(t, mm, vm_flags, len)) {
    TRACE_NOTE(m.trace, "locked mapping over RLIMIT_MEMLOCK: EAGAIN");
    return -EAGAIN;
  }
  if (file) {
    switch (flags & 0x0f) {  // MAP_TYPE
      case MAP_SHARED:
      case MAP_SHARED_VALIDATE:
        if ((prot & PROT_WRITE) && !of->writable) return -EACCES;
        vm_flags |= VM_SHARED | VM_MAYSHARE;
        if (!of->writable) vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
        [[fallthrough]];
      case MAP_PRIVATE:
        if (!of->readable) return -EACCES;
        if (vm_flags & VM_GROWSDOWN) return -EINVAL;
        break;
      default:
        return -EINVAL;
    }
  } else {
    switch (flags & 0x0f) {
      case MAP_SHARED:
        if (vm_flags & VM_GROWSDOWN) return -EINVAL;
        pgoff = 0;
        vm_flags |= VM_SHARED | VM_MAYSHARE;
        break;
      case MAP_DROPPABLE:
        if (flags & (MAP_LOCKED | MAP_HUGETLB)) return -EINVAL;
        if (vm_flags & VM_GROWSDOWN) return -EINVAL;
        vm_flags |= VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP;
        [[fallthrough]];
      case MAP_PRIVATE:
        pgoff = addr >> PAGE_SHIFT;
        break;
      default:
        return -EINVAL;
    }
  }
  if (flags & MAP_NORESERVE) vm_flags |= VM_NORESERVE;  // overcommit heuristic mode
  int64_t r = mmap_region(t, file, addr, len, vm_flags, pgoff);
  if (r >= 0 && ((vm_flags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
    *populate = len;
  return r;
}

long sys_mmap(Task& t, uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int fd,
              uint64_t off) {
  return sim_syscall(t, "mmap", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "sys_mmap");
    long ret;
    if (off & ~PAGE_MASK) {
      ret = -EINVAL;
    } else {
      File* file = nullptr;
      const OpenFile* of = nullptr;
      ret = 0;
      if (!(flags & MAP_ANONYMOUS)) {
        auto it = t.files->find(fd);
        if (it == t.files->end()) {
          ret = -EBADF;
        } else {
          of = &it->second;
          file = of->file;
          if (flags & MAP_HUGETLB) ret = -EINVAL;
        }
      } else if (flags & MAP_HUGETLB) {
        // No huge pages are reserved on this machine (vm.nr_hugepages = 0).
        TRACE_NOTE(m.trace, "MAP_HUGETLB with no huge pages reserved: ENOMEM");
        ret = -ENOMEM;
      }
      if (ret == 0) {
        uint64_t populate = 0;
        int64_t r = do_mmap(t, file, of, addr, len, prot, flags, off >> PAGE_SHIFT, &populate);
        ret = r;
        if (r >= 0 && populate) mm_populate(t, static_cast<uint64_t>(r), populate);
      }
    }
    return ret;
  });
}

long sys_munmap(Task& t, uint64_t addr, uint64_t len) {
  return sim_syscall(t, "munmap", [&]() -> long {
    TRACE_FN(t.machine->trace, "sys_munmap");
    return do_vmi_munmap(*t.machine, t.mm.get(), addr, len);
  });
}

// mm/vma.c do_brk_flags: grow the heap by [addr, addr+len), expanding the brk VMA if it
// ends at addr and is mergeable, else a new anonymous VMA.
static int do_brk_flags(Task& t, Vma* vma, uint64_t addr, uint64_t len) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "do_brk_flags");
  MmStruct* mm = t.mm.get();
  const vm_flags_t vm_flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm->def_flags;
  if (!may_expand_vm(t, vm_flags, len >> PAGE_SHIFT)) return -ENOMEM;
  if (mm->map_count > m.max_map_count()) return -ENOMEM;
  Vma* result = nullptr;
  if (vma && vma->vm_end == addr) {
    VmaMergeStruct vmg;
    vmg.mm = mm;
    vmg.start = addr;
    vmg.end = addr + len;
    vmg.vm_flags = vm_flags;
    vmg.pgoff = PHYS_PFN(addr);
    vmg.prev = vma;
    vmg.just_expand = true;
    result = vma_merge_new_range(m, vmg);
  }
  if (!result) {
    auto nv = std::make_unique<Vma>();
    nv->vm_start = addr;
    nv->vm_end = addr + len;
    nv->vm_flags = vm_flags;
    nv->vm_pgoff = PHYS_PFN(addr);
    result = vma_link(m, mm, std::move(nv));
    TRACE_NOTE(m.trace, "new heap VMA [%#x, %#x)", addr, addr + len);
  }
  mm->total_vm += len >> PAGE_SHIFT;
  mm->data_vm += len >> PAGE_SHIFT;
  mm->hiwater_vm = std::max(mm->hiwater_vm, mm->total_vm);
  if (vm_flags & VM_LOCKED) mm->locked_vm += len >> PAGE_SHIFT;
  result->vm_flags |= VM_SOFTDIRTY;
  return 0;
}

long sys_brk(Task& t, uint64_t brk) {
  return sim_syscall(t, "brk", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "sys_brk");
    MmStruct* mm = t.mm.get();
    const uint64_t origbrk = mm->brk;
    auto out = [&]() {
      mm->brk = origbrk;
      return static_cast<long>(origbrk);
    };
    if (brk < mm->start_brk) return out();
    if (t.rlimit(RLIMIT_DATA) != RLIM_INFINITY_VALUE &&
        brk - mm->start_brk + (mm->end_data - mm->start_data) > t.rlimit(RLIMIT_DATA))
      return out();
    const uint64_t newbrk = PAGE_ALIGN(brk), oldbrk = PAGE_ALIGN(mm->brk);
    if (oldbrk == newbrk) {
      mm->brk = brk;
      return static_cast<long>(brk);
    }
    if (brk <= mm->brk) {
      // Shrinking is always allowed (if the range is the heap's).
      Vma* brkvma = find_vma_intersection(mm, newbrk, oldbrk);
      if (!brkvma || brkvma->vm_start >= oldbrk) return out();
      mm->brk = brk;
      if (do_vmi_munmap(m, mm, newbrk, oldbrk - newbrk)) return out();
      return static_cast<long>(brk);
    }
    // check_brk_limits
    const uint64_t grow = newbrk - oldbrk;
    if (static_cast<int64_t>(get_unmapped_area(t, nullptr, oldbrk, grow, MAP_FIXED)) < 0)
      return out();
    if (!mlock_future_ok(t, mm, mm->def_flags, grow)) {
      TRACE_NOTE(m.trace, "check_brk_limits: MCL_FUTURE growth over RLIMIT_MEMLOCK: brk unchanged");
      return out();
    }
    Vma* next = find_vma(mm, oldbrk);
    if (next && next->vm_start < newbrk + PAGE_SIZE + STACK_GUARD_GAP &&
        newbrk + PAGE_SIZE > vm_start_gap(next))
      return out();
    Vma* brkvma = nullptr;
    if (oldbrk > mm->start_brk) {
      Vma* p = find_vma(mm, oldbrk - 1);
      if (p && p->vm_start < oldbrk && p->vm_start >= mm->start_brk) brkvma = p;
    }
    if (do_brk_flags(t, brkvma, oldbrk, grow) < 0) return out();
    mm->brk = brk;
    if (mm->def_flags & VM_LOCKED) mm_populate(t, oldbrk, grow);
    return static_cast<long>(brk);
  });
}

// mm/vma.c acct_stack_growth.
static int acct_stack_growth(Task& t, Vma* vma, uint64_t size, uint64_t grow) {
  if (!may_expand_vm(t, vma->vm_flags, grow)) return -ENOMEM;
  if (size > t.rlimit(RLIMIT_STACK)) return -ENOMEM;
  if (!mlock_future_ok(t, vma->vm_mm, vma->vm_flags, grow << PAGE_SHIFT)) return -ENOMEM;
  return 0;
}

int expand_downwards(Task& t, Vma* vma, uint64_t address) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "expand_downwards");
  MmStruct* mm = vma->vm_mm;
  if (!(vma->vm_flags & VM_GROWSDOWN)) return -EFAULT;
  address &= PAGE_MASK;
  if (address < MMAP_MIN_ADDR) return -EPERM;
  if (Vma* prev = vma_prev(mm, vma)) {
    if (!(prev->vm_flags & VM_GROWSDOWN) && sim_vma_is_accessible(prev) &&
        address - prev->vm_end < STACK_GUARD_GAP)
      return -ENOMEM;
  }
  anon_vma_prepare(m, vma);
  if (address < vma->vm_start) {
    const uint64_t size = vma->vm_end - address;
    const uint64_t grow = (vma->vm_start - address) >> PAGE_SHIFT;
    if (grow > vma->vm_pgoff) return -ENOMEM;
    if (int err = acct_stack_growth(t, vma, size, grow)) return err;
    if (vma->vm_flags & VM_LOCKED) mm->locked_vm += grow;
    vm_stat_account(mm, vma->vm_flags, static_cast<int64_t>(grow));
    vma->vm_start = address;  // the tree is keyed by vm_end: nothing to re-key
    vma->vm_pgoff -= grow;
    TRACE_NOTE(m.trace, "stack grows down by %lu page(s) to %#x", grow, address);
  }
  return 0;
}

}  // namespace mmsim
