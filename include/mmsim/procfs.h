// What a process can observe, rendered in the kernel's text formats (fs/proc/task_mmu.c,
// fs/proc/array.c, fs/proc/meminfo.c, mm/vmstat.c) and the per-page words of
// /proc/PID/pagemap, /proc/kpageflags and /proc/kpagecount (fs/proc/page.c).
#ifndef MMSIM_PROCFS_H_
#define MMSIM_PROCFS_H_

#include <cstdint>
#include <string>

#include "mmsim/machine.h"

namespace mmsim {

// /proc/PID/maps (show_map_vma), every VMA, plus the [vsyscall] gate line when asked.
std::string proc_pid_maps(const Task& t, bool with_gate = true);
// /proc/PID/smaps (show_smap): the fields the model has; see docs/fidelity.md.
std::string proc_pid_smaps(const Task& t);
// The Vm*/Rss* lines of /proc/PID/status (task_mem), without VmPTE (not modelled).
std::string proc_pid_status(const Task& t);
std::string proc_meminfo(const Machine& m);
// /proc/swaps (swap_show).
std::string proc_swaps(const Machine& m);
std::string proc_vmstat(const Machine& m);

// The two-letter VmFlags mnemonics of `flags`, space-separated with a trailing space, as
// show_smap_vma_flags prints them.
std::string vm_flags_mnemonics(uint64_t flags);
// "rw-p" style permissions of a VMA.
std::string vma_perms(uint64_t flags);

// KPF_* bit numbers (include/uapi/linux/kernel-page-flags.h).
enum KpfBit : int {
  KPF_LOCKED = 0,
  KPF_REFERENCED = 2,
  KPF_UPTODATE = 3,
  KPF_DIRTY = 4,
  KPF_LRU = 5,
  KPF_ACTIVE = 6,
  KPF_MMAP = 11,
  KPF_ANON = 12,
  KPF_SWAPCACHE = 13,
  KPF_SWAPBACKED = 14,
  KPF_UNEVICTABLE = 18,
  KPF_NOPAGE = 20,
  KPF_ZERO_PAGE = 24,
  KPF_MLOCKED = 33,
};

// One virtual page as pagemap + kpageflags + kpagecount describe it.
struct PageInfo {
  bool present = false;
  bool swapped = false;
  uint32_t folio = 0;        // the model's PFN stand-in (0 = zero page)
  uint64_t kpageflags = 0;   // valid when present
  int64_t kpagecount = 0;    // map count, valid when present
  bool writable = false;     // the PTE's write bit (not visible in pagemap; for explanations)
  uint32_t swap_type = 0;    // valid when swapped (pagemap bits 0-4)
  uint64_t swap_offset = 0;  // valid when swapped (pagemap bits 5-54)
};
PageInfo page_info(const Task& t, uint64_t addr);
// stable_page_flags for one folio.
uint64_t stable_page_flags(const Machine& m, uint32_t folio);
// Names of the set KPF bits, comma-separated ("lru,active,anon").
std::string kpageflags_names(uint64_t flags);

}  // namespace mmsim

#endif  // MMSIM_PROCFS_H_
