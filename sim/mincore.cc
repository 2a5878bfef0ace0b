// Model of mm/mincore.c (Linux 6.18): which pages of a range are resident, one byte a page.
//
// A present PTE is resident; a none PTE is resident in a file VMA when the file's page cache
// holds an up-to-date folio at that index (never in an anonymous VMA); a swap PTE is resident
// while its folio is still in the swap cache and up to date. There are no transparent huge
// pages, hugetlb pages or PTE markers in the model, and tasks own every file they map, so
// can_do_mincore always lets the page-cache answer through.
#include <algorithm>

#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

// mm/mincore.c mincore_page: the page cache of the file at `index`.
uint8_t mincore_page(const Machine& m, const File* file, pgoff_t index) {
  auto it = file->page_cache.find(index);
  if (it == file->page_cache.end()) return 0;  // absent, or only a shadow entry
  return (m.folio(it->second).flags & PG_uptodate) ? 1 : 0;
}

// mm/mincore.c mincore_swap: a swapped-out page is resident while the swap cache holds it.
uint8_t mincore_swap(Machine& m, SwpEntry e) {
  const uint32_t folio = swap_cache_get_folio(m, e);
  if (folio == 0) return 0;
  return (m.folio(folio).flags & PG_uptodate) ? 1 : 0;
}

// mm/mincore.c __mincore_unmapped_range: pages without a PTE.
uint8_t mincore_unmapped(const Machine& m, const Vma* vma, uint64_t addr) {
  if (!vma->vm_file) return 0;
  const pgoff_t index = ((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
  return mincore_page(m, vma->vm_file, index);
}

// mm/mincore.c mincore_pte_range, one page at a time.
uint8_t mincore_pte(Machine& m, MmStruct* mm, const Vma* vma, uint64_t addr) {
  const Pte* pte = mm->page_table.find(addr >> PAGE_SHIFT);
  if (!pte) return mincore_unmapped(m, vma, addr);
  if (pte->kind == Pte::kPresent) return 1;
  return mincore_swap(m, swp_unpack(pte->folio));
}

// mm/mincore.c do_mincore: the pages of [addr, addr + pages) inside the VMA at addr, written
// to vec. Returns how many, or -ENOMEM when no VMA contains addr.
long do_mincore(Machine& m, MmStruct* mm, uint64_t addr, uint64_t pages, uint8_t* vec) {
  const Vma* vma = vma_lookup(mm, addr);
  if (!vma) return -ENOMEM;
  const uint64_t end = std::min(vma->vm_end, addr + (pages << PAGE_SHIFT));
  uint64_t n = 0;
  for (uint64_t a = addr; a < end; a += PAGE_SIZE) vec[n++] = mincore_pte(m, mm, vma, a);
  return static_cast<long>(n);
}

}  // namespace

// mm/mincore.c sys_mincore: the start must be page aligned, the range a user range; the
// vector is filled a VMA (at most a page of entries) at a time, and a hole ends it with
// -ENOMEM, the entries before the hole already written.
long sys_mincore(Task& t, uint64_t start, uint64_t len, std::vector<uint8_t>* vec) {
  t.machine->cpu = t.cpu;
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "sys_mincore");
  auto done = [&](long r) {
    m.after_syscall("mincore");
    return r;
  };
  vec->clear();
  if (start & ~PAGE_MASK) return done(-EINVAL);
  // access_ok: the range must end inside the user address space, without wrapping.
  const uint64_t end = start + len;
  if (end < start || end >= TASK_SIZE) return done(-ENOMEM);
  uint64_t pages = (len >> PAGE_SHIFT) + (offset_in_page(len) != 0);
  vec->assign(pages, 0);
  uint64_t done_pages = 0;
  while (pages) {
    const long r = do_mincore(m, t.mm.get(), start, std::min<uint64_t>(pages, PAGE_SIZE),
                              vec->data() + done_pages);
    if (r <= 0) {
      vec->resize(done_pages);
      return done(r);
    }
    pages -= static_cast<uint64_t>(r);
    done_pages += static_cast<uint64_t>(r);
    start += static_cast<uint64_t>(r) << PAGE_SHIFT;
  }
  return done(0);
}

}  // namespace mmsim
