// Constants of the modelled kernel: Linux 6.18, x86-64, 4 KiB pages.
//
// Userspace ABI constants (PROT_*, MAP_*, MCL_*, MLOCK_*, MADV_*, errno values) are taken
// from the C library's headers: mmsim models x86-64 Linux, and sharing the headers lets the
// host oracle and the simulator use the same spelling. Kernel-internal flags (VM_*) are
// defined here with the kernel's names and bit numbers (include/linux/mm.h).
#ifndef MMSIM_TYPES_H_
#define MMSIM_TYPES_H_

#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdint>

// Newer than Debian bookworm's glibc headers.
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif

namespace mmsim {

using vm_flags_t = uint64_t;
using pgoff_t = uint64_t;

inline constexpr unsigned PAGE_SHIFT = 12;
inline constexpr uint64_t PAGE_SIZE = uint64_t{1} << PAGE_SHIFT;
inline constexpr uint64_t PAGE_MASK = ~(PAGE_SIZE - 1);
// x86-64 with 4-level paging: TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE.
inline constexpr uint64_t TASK_SIZE = (uint64_t{1} << 47) - PAGE_SIZE;
// vm.mmap_min_addr as set on this machine (/proc/sys/vm/mmap_min_addr).
inline constexpr uint64_t MMAP_MIN_ADDR = 4096;
// include/linux/mm.h: DEFAULT_MAX_MAP_COUNT = USHRT_MAX - MAPCOUNT_ELF_CORE_MARGIN.
inline constexpr int DEFAULT_MAX_MAP_COUNT = 65530;
// mm/mmap.c: stack_guard_gap = 256 pages.
inline constexpr uint64_t STACK_GUARD_GAP = 256 * PAGE_SIZE;
inline constexpr uint64_t RLIM_INFINITY_VALUE = ~uint64_t{0};

constexpr uint64_t PAGE_ALIGN(uint64_t x) { return (x + PAGE_SIZE - 1) & PAGE_MASK; }
constexpr uint64_t offset_in_page(uint64_t x) { return x & (PAGE_SIZE - 1); }
constexpr uint64_t PHYS_PFN(uint64_t x) { return x >> PAGE_SHIFT; }

// include/linux/mm.h: VM_* bits as numbered on x86-64 in 6.18.
inline constexpr vm_flags_t VM_NONE = 0;
inline constexpr vm_flags_t VM_READ = 1ull << 0;
inline constexpr vm_flags_t VM_WRITE = 1ull << 1;
inline constexpr vm_flags_t VM_EXEC = 1ull << 2;
inline constexpr vm_flags_t VM_SHARED = 1ull << 3;
inline constexpr vm_flags_t VM_MAYREAD = 1ull << 4;
inline constexpr vm_flags_t VM_MAYWRITE = 1ull << 5;
inline constexpr vm_flags_t VM_MAYEXEC = 1ull << 6;
inline constexpr vm_flags_t VM_MAYSHARE = 1ull << 7;
inline constexpr vm_flags_t VM_GROWSDOWN = 1ull << 8;
inline constexpr vm_flags_t VM_UFFD_MISSING = 1ull << 9;
inline constexpr vm_flags_t VM_PFNMAP = 1ull << 10;
inline constexpr vm_flags_t VM_UFFD_WP = 1ull << 12;
inline constexpr vm_flags_t VM_LOCKED = 1ull << 13;
inline constexpr vm_flags_t VM_IO = 1ull << 14;
inline constexpr vm_flags_t VM_SEQ_READ = 1ull << 15;
inline constexpr vm_flags_t VM_RAND_READ = 1ull << 16;
inline constexpr vm_flags_t VM_DONTCOPY = 1ull << 17;
inline constexpr vm_flags_t VM_DONTEXPAND = 1ull << 18;
inline constexpr vm_flags_t VM_LOCKONFAULT = 1ull << 19;
inline constexpr vm_flags_t VM_ACCOUNT = 1ull << 20;
inline constexpr vm_flags_t VM_NORESERVE = 1ull << 21;
inline constexpr vm_flags_t VM_HUGETLB = 1ull << 22;
inline constexpr vm_flags_t VM_SYNC = 1ull << 23;
inline constexpr vm_flags_t VM_ARCH_1 = 1ull << 24;
inline constexpr vm_flags_t VM_WIPEONFORK = 1ull << 25;
inline constexpr vm_flags_t VM_DONTDUMP = 1ull << 26;
// Bit 27 when CONFIG_MEM_SOFT_DIRTY=y; this machine's kernel is built without it, so the
// flag is VM_NONE and smaps never shows `sd`.
inline constexpr vm_flags_t VM_SOFTDIRTY = VM_NONE;
inline constexpr vm_flags_t VM_MIXEDMAP = 1ull << 28;
inline constexpr vm_flags_t VM_HUGEPAGE = 1ull << 29;
inline constexpr vm_flags_t VM_NOHUGEPAGE = 1ull << 30;
inline constexpr vm_flags_t VM_MERGEABLE = 1ull << 31;
inline constexpr vm_flags_t VM_DROPPABLE = 1ull << 40;
inline constexpr vm_flags_t VM_SEALED = 1ull << 42;

inline constexpr vm_flags_t VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
inline constexpr vm_flags_t VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
// kernel/fork.c: only this part of def_flags survives mm_init().
inline constexpr vm_flags_t VM_INIT_DEF_MASK = VM_NOHUGEPAGE;
// arch/x86: VM_DATA_DEFAULT_FLAGS = VM_DATA_FLAGS_TSK_EXEC without READ_IMPLIES_EXEC.
inline constexpr vm_flags_t VM_DATA_DEFAULT_FLAGS =
    VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
inline constexpr vm_flags_t VM_STACK_FLAGS =
    VM_GROWSDOWN | VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT;

// Capabilities the model checks (include/uapi/linux/capability.h numbers).
inline constexpr int CAP_IPC_LOCK_BIT = 14;
inline constexpr int CAP_SYS_RESOURCE_BIT = 24;

// A task's resource limits that the model uses (RLIMIT_* indices from <sys/resource.h>).
inline constexpr int kNumRlimits = RLIM_NLIMITS;

}  // namespace mmsim

#endif  // MMSIM_TYPES_H_
