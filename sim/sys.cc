// Model of the parts of kernel/sys.c, kernel/capability.c and fs/open.c that mmsim needs:
// resource limits, capabilities, PR_SET_VMA_ANON_NAME, and opening simulated files.
#include <fcntl.h>

#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

// kernel/sys.c do_prlimit.
long sys_setrlimit(Task& t, int resource, uint64_t cur, uint64_t max) {
  return sim_syscall(t, "setrlimit", [&]() -> long {
    TRACE_FN(t.machine->trace, "do_prlimit");
    if (resource < 0 || resource >= kNumRlimits) return -EINVAL;
    if (cur > max) return -EINVAL;
    if (max > t.rlim->max[resource] && !t.capable(CAP_SYS_RESOURCE_BIT)) {
      TRACE_NOTE(t.machine->trace, "raising the hard limit needs CAP_SYS_RESOURCE: EPERM");
      return -EPERM;
    }
    t.rlim->cur[resource] = cur;
    t.rlim->max[resource] = max;
    return 0;
  });
}

long sys_getrlimit(Task& t, int resource, uint64_t* cur, uint64_t* max) {
  return sim_syscall(t, "getrlimit", [&]() -> long {
    if (resource < 0 || resource >= kNumRlimits) return -EINVAL;
    *cur = t.rlim->cur[resource];
    *max = t.rlim->max[resource];
    return 0;
  });
}

// kernel/capability.c cap_capset rules for the calling thread: the permitted set may only
// shrink, and effective must stay within permitted.
long sys_capset(Task& t, uint64_t effective, uint64_t permitted) {
  return sim_syscall(t, "capset", [&]() -> long {
    if (permitted & ~t.cap_permitted) return -EPERM;
    if (effective & ~permitted) return -EPERM;
    t.cap_effective = effective;
    t.cap_permitted = permitted;
    return 0;
  });
}

// kernel/sys.c prctl_set_vma.
long sys_prctl_set_vma_anon_name(Task& t, uint64_t addr, uint64_t len, const char* name) {
  return sim_syscall(t, "prctl", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "prctl_set_vma");
    if (!m.config().anon_vma_name) {
      TRACE_NOTE(m.trace, "kernel built without CONFIG_ANON_VMA_NAME: EINVAL");
      return -EINVAL;
    }
    AnonVmaName anon_name;
    if (name) {
      std::string s(name);
      if (s.size() >= 80) return -EINVAL;  // ANON_VMA_NAME_MAX_LEN including the NUL
      for (char c : s) {
        // is_valid_name_char: printable, and none of \ ` $ [ ]
        if (c < 0x20 || c > 0x7e || c == '\\' || c == '`' || c == '$' || c == '[' || c == ']')
          return -EINVAL;
      }
      anon_name = std::make_shared<const std::string>(std::move(s));
    }
    return madvise_set_anon_name(t, addr, len, std::move(anon_name));
  });
}

long sys_open(Task& t, const std::string& path, int flags) {
  return sim_syscall(t, "open", [&]() -> long {
    File* f = t.machine->find_file(path);
    if (!f) return -ENOENT;
    int fd = 3;
    while (t.files->count(fd)) ++fd;
    OpenFile of;
    of.file = f;
    const int acc = flags & O_ACCMODE;
    of.readable = acc == O_RDONLY || acc == O_RDWR;
    of.writable = acc == O_WRONLY || acc == O_RDWR;
    (*t.files)[fd] = of;
    return fd;
  });
}

long sys_close(Task& t, int fd) {
  return sim_syscall(t, "close", [&]() -> long {
    if (!t.files->erase(fd)) return -EBADF;
    return 0;
  });
}

}  // namespace mmsim
