// Model of mm/mprotect.c (Linux 6.18): do_mprotect_pkey and mprotect_fixup.
#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

// change_protection reduced to the write bit: removing VM_WRITE write-protects every PTE;
// adding it upgrades exclusive anonymous PTEs at once (MM_CP_TRY_CHANGE_WRITABLE) and, in
// shared mappings, dirty ones.
void sim_change_protection(Machine& m, Vma* vma, uint64_t start, uint64_t end) {
  const bool writable = vma->vm_flags & VM_WRITE;
  sim_for_each_pte(vma->vm_mm, start, end, [&](uint64_t, Pte& pte) {
    if (pte.kind != Pte::kPresent) return;
    if (!writable) {
      pte.write = false;
      return;
    }
    if (pte.folio == ZERO_FOLIO) return;
    const Folio& f = m.folio(pte.folio);
    if (vma->vm_flags & VM_SHARED) {
      if (pte.dirty) pte.write = true;
    } else if ((f.flags & PG_anon_mapping) && f.mapcount == 1) {
      pte.write = true;
    }
  });
}

}  // namespace

// mm/mprotect.c mprotect_fixup; on success vmi is left on the VMA that now covers the range.
static int mprotect_fixup(Task& t, VmaIterator* vmi, Vma* vma, Vma** pprev, uint64_t start,
                          uint64_t end, vm_flags_t newflags) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "mprotect_fixup");
  MmStruct* mm = t.mm.get();
  const vm_flags_t oldflags = vma->vm_flags;
  const int64_t nrpages = static_cast<int64_t>((end - start) >> PAGE_SHIFT);
  if (vma->vm_flags & VM_SEALED) return -EPERM;
  if (newflags == oldflags) {
    *pprev = vma;
    sim_vma_iter_on(vmi, vma);
    return 0;
  }
  if (newflags & VM_WRITE) {
    if (!may_expand_vm(t, newflags, nrpages) && may_expand_vm(t, oldflags, nrpages)) return -ENOMEM;
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE)))
      newflags |= VM_ACCOUNT;
  } else if ((oldflags & VM_ACCOUNT) && sim_vma_is_anonymous(vma) && !vma->anon_vma) {
    newflags &= ~VM_ACCOUNT;  // never faulted: the commit charge can be given back
  }
  VmaOrErr r = vma_modify_flags(m, mm, *pprev, vma, start, end, newflags);
  if (r.err) return r.err;
  vma = r.vma;
  *pprev = vma;
  sim_vma_iter_on(vmi, vma);
  vma->vm_flags = newflags;
  sim_change_protection(m, vma, start, end);
  // A private VM_LOCKED VMA becoming writable: break COW now.
  if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE)) {
    (void)populate_vma_page_range(t, vma, start, end);
  }
  vm_stat_account(mm, oldflags, -nrpages);
  vm_stat_account(mm, newflags, nrpages);
  return 0;
}

// mm/mprotect.c do_mprotect_pkey (pkey -1).
long sys_mprotect(Task& t, uint64_t start, uint64_t len, uint64_t prot) {
  return sim_syscall(t, "mprotect", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "do_mprotect_pkey");
    MmStruct* mm = t.mm.get();
    const uint64_t grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    prot &= ~uint64_t{PROT_GROWSDOWN | PROT_GROWSUP};
    if (grows == (PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
    if (start & ~PAGE_MASK) return -EINVAL;
    if (!len) return 0;
    len = PAGE_ALIGN(len);
    uint64_t end = start + len;
    if (end <= start) return -ENOMEM;
    // arch_validate_prot (generic): only READ, WRITE, EXEC and SEM.
    if (prot & ~uint64_t{PROT_READ | PROT_WRITE | PROT_EXEC | 0x8}) return -EINVAL;
    VMA_ITERATOR(vmi, mm, start);
    Vma* vma = vma_find(&vmi, end);
    if (!vma) return -ENOMEM;
    if (grows & PROT_GROWSDOWN) {
      start = vma->vm_start;
      if (!(vma->vm_flags & VM_GROWSDOWN)) return -EINVAL;
    } else {
      if (vma->vm_start > start) return -ENOMEM;
      if (grows & PROT_GROWSUP) return -EINVAL;  // no VM_GROWSUP on x86
    }
    Vma* prev = vma_prev(&vmi);
    if (start > vma->vm_start) prev = vma;
    uint64_t nstart = start, tmp = vma->vm_start;
    long error = 0;
    for_each_vma_range(vmi, vma, end) {
      if (vma->vm_start != tmp) {
        TRACE_NOTE(m.trace, "hole at %#x: ENOMEM (earlier VMAs stay changed)", tmp);
        error = -ENOMEM;
        break;
      }
      vm_flags_t newflags = 0;
      if (prot & PROT_READ) newflags |= VM_READ;
      if (prot & PROT_WRITE) newflags |= VM_WRITE;
      if (prot & PROT_EXEC) newflags |= VM_EXEC;
      newflags |= vma->vm_flags & ~vm_flags_t{VM_READ | VM_WRITE | VM_EXEC};
      // VM_MAY* shifted onto VM_*: a permission the mapping may never have.
      if ((newflags & ~(newflags >> 4)) & (VM_READ | VM_WRITE | VM_EXEC)) {
        TRACE_NOTE(m.trace, "permission not allowed by VM_MAY* flags: EACCES");
        error = -EACCES;
        break;
      }
      tmp = std::min(vma->vm_end, end);
      error = mprotect_fixup(t, &vmi, vma, &prev, nstart, tmp, newflags);
      if (error) break;
      tmp = vma_iter_end(&vmi);
      nstart = tmp;
    }
    if (!error && tmp < end) error = -ENOMEM;
    return error;
  });
}

}  // namespace mmsim
