// The system calls of the model. Each returns what the kernel returns: a non-negative value
// on success, -errno on failure (that is the result, not a simulator error). `t` is the
// calling task (the kernel's `current`).
#ifndef MMSIM_SYSCALLS_H_
#define MMSIM_SYSCALLS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "mmsim/machine.h"

namespace mmsim {

// mm/mmap.c
long sys_mmap(Task& t, uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int fd,
              uint64_t off);
long sys_munmap(Task& t, uint64_t addr, uint64_t len);
long sys_brk(Task& t, uint64_t brk);
// mm/mprotect.c
long sys_mprotect(Task& t, uint64_t start, uint64_t len, uint64_t prot);
// mm/madvise.c
long sys_madvise(Task& t, uint64_t start, uint64_t len, int behavior);
// mm/msync.c
long sys_msync(Task& t, uint64_t start, uint64_t len, int flags);
// mm/mlock.c
long sys_mlock(Task& t, uint64_t start, uint64_t len);
long sys_mlock2(Task& t, uint64_t start, uint64_t len, uint64_t flags);
long sys_munlock(Task& t, uint64_t start, uint64_t len);
long sys_mlockall(Task& t, uint64_t flags);
long sys_munlockall(Task& t);
// mm/mincore.c: one byte a page of [start, start+len) in *vec, 1 if resident. On -ENOMEM for
// a hole, *vec holds the pages before it (the kernel has copied them out already).
long sys_mincore(Task& t, uint64_t start, uint64_t len, std::vector<uint8_t>* vec);
// kernel/sys.c
long sys_setrlimit(Task& t, int resource, uint64_t cur, uint64_t max);
long sys_getrlimit(Task& t, int resource, uint64_t* cur, uint64_t* max);
long sys_prctl_set_vma_anon_name(Task& t, uint64_t addr, uint64_t len, const char* name);
// kernel/capability.c: capset(2) for the calling thread (effective and permitted sets).
long sys_capset(Task& t, uint64_t effective, uint64_t permitted);
// fs/open.c: files are the machine's simulated files; O_RDONLY / O_RDWR matter for mmap.
long sys_open(Task& t, const std::string& path, int flags);
long sys_close(Task& t, int fd);

// kernel/fork.c: fork() returns the child's pid (the child is a new Task of the machine);
// a CLONE_VM|CLONE_THREAD clone returns the new thread's pid. fs/exec.c execve gives the task
// a fresh mm built from `image`; exit releases the task's mm.
long sys_fork(Task& t);
long sys_clone_thread(Task& t);
long sys_execve(Task& t, Image image = Image::kProcess);
long sys_exit(Task& t);

// mm/swapfile.c: swapon(path, flags) with SWAP_FLAG_PREFER | prio, swapoff(path). The file
// must exist (Machine::create_file); its size sets the number of slots.
long sys_swapon(Task& t, const std::string& path, int swap_flags);
long sys_swapoff(Task& t, const std::string& path);

// A user access to [addr, addr+len): one fault per page that needs it (mm/memory.c
// handle_mm_fault). Returns 0, or -EFAULT where the process would get SIGSEGV/SIGBUS
// (pages before the bad one stay faulted in).
long user_access(Task& t, uint64_t addr, uint64_t len, bool write);

}  // namespace mmsim

#endif  // MMSIM_SYSCALLS_H_
