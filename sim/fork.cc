// Model of kernel/fork.c and mm/mmap.c dup_mmap (fork, CLONE_VM threads), and exit_mmap /
// mmput for exit. copy_page_range shares private pages copy-on-write and duplicates swap
// entries (copy_nonpresent_pte). execve is in sim/exec.cc.
#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

// mm/memory.c copy_page_range → copy_present_pte: private pages become shared copy-on-write
// (both PTEs write-protected, map count raised).
void copy_page_range(Machine& m, Vma* dst, Vma* src) {
  MmStruct* dst_mm = dst->vm_mm;
  MmStruct* src_mm = src->vm_mm;
  const bool cow = (src->vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
  sim_for_each_pte(src_mm, src->vm_start, src->vm_end, [&](uint64_t vpn, Pte& pte) {
    if (pte.kind == Pte::kSwap) {
      // copy_nonpresent_pte: one more user of the slot (continuation pages as needed).
      swap_duplicate(m, swp_unpack(pte.folio));
      dst_mm->rss_stat[MM_SWAPENTS]++;
      pte.write = false;  // pte_swp_clear_exclusive, in the parent too
      dst_mm->page_table.set(vpn, pte);
      return;
    }
    if (pte.kind != Pte::kPresent) return;
    Pte child = pte;
    if (cow) pte.write = child.write = false;
    child.young = pte.young;
    if (pte.folio != ZERO_FOLIO) {
      Folio& f = m.folio(pte.folio);
      f.mapcount++;
      if (f.flags & PG_anon_mapping) {
        dst_mm->rss_stat[MM_ANONPAGES]++;
      } else {
        dst_mm->rss_stat[static_cast<File*>(f.mapping)->shmem ? MM_SHMEMPAGES : MM_FILEPAGES]++;
      }
    }
    dst_mm->page_table.set(vpn, child);
  });
}

// kernel/fork.c / mm/mmap.c dup_mmap.
std::shared_ptr<MmStruct> dup_mm(Machine& m, Task& parent) {
  TRACE_FN(m.trace, "dup_mmap");
  const MmStruct* old = parent.mm.get();
  auto mm = std::make_shared<MmStruct>();
  mm->id = m.next_mm_id();
  mm->users = 1;
  // mm_init: counters that are per-mm start at zero; def_flags keeps only VM_INIT_DEF_MASK.
  mm->def_flags = old->def_flags & VM_INIT_DEF_MASK;
  mm->mmap_base = old->mmap_base;
  mm->task_size = old->task_size;
  mm->start_code = old->start_code;
  mm->end_code = old->end_code;
  mm->start_data = old->start_data;
  mm->end_data = old->end_data;
  mm->start_brk = old->start_brk;
  mm->brk = old->brk;
  mm->start_stack = old->start_stack;
  mm->total_vm = old->total_vm;
  mm->data_vm = old->data_vm;
  mm->exec_vm = old->exec_vm;
  mm->stack_vm = old->stack_vm;
  mm->hiwater_vm = old->total_vm;
  for (const auto& [start, pv] : old->mm_mt) {
    Vma* mpnt = pv.get();
    if (mpnt->vm_flags & VM_DONTCOPY) {
      TRACE_NOTE(m.trace, "[%#x, %#x) is VM_DONTCOPY: not copied", mpnt->vm_start, mpnt->vm_end);
      vm_stat_account(mm.get(), mpnt->vm_flags, -static_cast<int64_t>(mpnt->pages()));
      continue;
    }
    auto nv = std::make_unique<Vma>(*mpnt);
    nv->anon_vma = nullptr;
    nv->anon_vma_chain.clear();
    nv->vm_flags &= ~VM_LOCKED_MASK;
    if (mpnt->vm_flags & VM_LOCKED_MASK) {
      TRACE_NOTE(m.trace, "[%#x, %#x) copied without VM_LOCKED%s (locks are not inherited)",
                 mpnt->vm_start, mpnt->vm_end,
                 (mpnt->vm_flags & VM_LOCKONFAULT) ? "|VM_LOCKONFAULT" : "");
    }
    Vma* tmp = vma_link(m, mm.get(), std::move(nv));
    if (mpnt->vm_flags & VM_WIPEONFORK) {
      TRACE_NOTE(m.trace, "[%#x, %#x) is VM_WIPEONFORK: empty in the child", mpnt->vm_start,
                 mpnt->vm_end);
      continue;
    }
    anon_vma_fork(m, tmp, mpnt);
    // vma_needs_copy: only VMAs with anonymous pages (or PFN maps) copy page tables; the
    // child re-faults file pages.
    if (mpnt->anon_vma || (mpnt->vm_flags & (VM_PFNMAP | VM_MIXEDMAP))) {
      TRACE_NOTE(m.trace,
                 "[%#x, %#x): copy_page_range shares its pages copy-on-write and duplicates "
                 "swap entries",
                 mpnt->vm_start, mpnt->vm_end);
      copy_page_range(m, tmp, mpnt);
    }
  }
  return mm;
}

}  // namespace

// mm/mmap.c exit_mmap: unmap every VMA (munlocking through rmap removal), then free them.
// No lru_add_drain: on 6.18 an exiting task mostly leaves the batches of its CPU as they are
// (docs/fidelity.md, "Pages and LRU", has the measurements and the open question).
void exit_mmap(Machine& m, MmStruct* mm) {
  TRACE_FN(m.trace, "exit_mmap");
  for (auto& [start, v] : mm->mm_mt) zap_page_range_single(m, v.get(), v->vm_start, v->vm_end);
  while (!mm->mm_mt.empty()) remove_vma(m, mm, mm->mm_mt.begin()->second.get());
  mm->total_vm = mm->locked_vm = mm->data_vm = mm->exec_vm = mm->stack_vm = 0;
}

// kernel/fork.c mmput.
void mmput(Machine& m, std::shared_ptr<MmStruct>& mm) {
  if (!mm) return;
  if (--mm->users == 0) exit_mmap(m, mm.get());
  mm.reset();
}

long sys_fork(Task& t) {
  return sim_syscall(t, "fork", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "kernel_clone");
    Task& child = m.spawn(t.name, Image::kEmpty);
    child.mm->users = 0;
    child.mm = dup_mm(m, t);
    *child.rlim = *t.rlim;
    *child.files = *t.files;
    child.cap_effective = t.cap_effective;
    child.cap_permitted = t.cap_permitted;
    child.cpu = t.cpu;
    TRACE_NOTE(m.trace, "child pid %d: locked_vm 0, def_flags %#x", child.pid, child.mm->def_flags);
    return child.pid;
  });
}

long sys_clone_thread(Task& t) {
  return sim_syscall(t, "clone", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "kernel_clone");
    Task& th = m.spawn(t.name, Image::kEmpty);
    th.mm = t.mm;
    th.mm->users++;
    th.tgid = t.tgid;
    th.rlim = t.rlim;    // CLONE_THREAD: shared signal_struct
    th.files = t.files;  // CLONE_FILES
    th.cap_effective = t.cap_effective;
    th.cap_permitted = t.cap_permitted;
    TRACE_NOTE(m.trace, "thread %d shares mm %u", th.pid, th.mm->id);
    return th.pid;
  });
}

long sys_exit(Task& t) {
  return sim_syscall(t, "exit", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "do_exit");
    t.alive = false;
    mmput(m, t.mm);
    return 0;
  });
}

}  // namespace mmsim
