// Model of the population half of mm/gup.c: __mm_populate and populate_vma_page_range, which
// fault in the pages of locked or MAP_POPULATE ranges.
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

// mm/gup.c __get_user_pages reduced to what population needs: fault in each page that is
// absent (or write-protected, for a write) and touch the others. Returns the number of pages
// done, or -errno if the first page failed.
static long sim_get_user_pages(Task& t, Vma* vma, uint64_t start, uint64_t nr_pages, bool write) {
  MmStruct* mm = t.mm.get();
  Machine& m = *t.machine;
  for (uint64_t i = 0; i < nr_pages; ++i) {
    const uint64_t addr = start + i * PAGE_SIZE;
    Pte* pte = mm->page_table.find(addr >> PAGE_SHIFT);
    if (!(pte && pte->kind == Pte::kPresent && (!write || pte->write))) {
      if (int err = handle_mm_fault(
              t, vma, addr, write ? unsigned{FAULT_FLAG_WRITE} : unsigned{FAULT_FLAG_FORCE})) {
        return i ? static_cast<long>(i) : err;
      }
      pte = mm->page_table.find(addr >> PAGE_SHIFT);
    }
    // follow_page_pte with FOLL_TOUCH: the folio is marked accessed (PG_referenced first).
    if (pte && pte->kind == Pte::kPresent && pte->folio != ZERO_FOLIO) {
      if (write) m.folio(pte->folio).flags |= PG_dirty;
      folio_mark_accessed(m, pte->folio);
    }
  }
  return static_cast<long>(nr_pages);
}

long populate_vma_page_range(Task& t, Vma* vma, uint64_t start, uint64_t end) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "populate_vma_page_range");
  const uint64_t nr_pages = (end - start) >> PAGE_SHIFT;
  if (vma->vm_flags & VM_LOCKONFAULT) {
    TRACE_NOTE(m.trace, "VM_LOCKONFAULT: nothing faulted in");
    return static_cast<long>(nr_pages);
  }
  if (!sim_vma_is_accessible(vma)) {
    TRACE_NOTE(m.trace, "PROT_NONE VMA: EFAULT");
    return -EFAULT;
  }
  // Private writable mappings get write faults (breaking COW); others read faults.
  const bool write = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
  TRACE_NOTE(m.trace, "%s faults on [%#x, %#x)", write ? "write" : "read", start, end);
  long ret = sim_get_user_pages(t, vma, start, nr_pages, write);
  lru_add_drain(m);
  return ret;
}

long __mm_populate(Task& t, uint64_t start, uint64_t len, bool ignore_errors) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "__mm_populate");
  MmStruct* mm = t.mm.get();
  const uint64_t end = start + len;
  long ret = 0;
  uint64_t nend;
  for (uint64_t nstart = start; nstart < end; nstart = nend) {
    Vma* vma = find_vma_intersection(mm, nstart, end);
    if (!vma) break;
    nend = std::min(end, vma->vm_end);
    if (vma->vm_flags & (VM_IO | VM_PFNMAP)) continue;
    if (nstart < vma->vm_start) nstart = vma->vm_start;
    ret = populate_vma_page_range(t, vma, nstart, nend);
    if (ret < 0) {
      if (ignore_errors) {
        ret = 0;
        continue;
      }
      break;
    }
    nend = nstart + static_cast<uint64_t>(ret) * PAGE_SIZE;
    ret = 0;
  }
  return ret;
}

}  // namespace mmsim
