// Tests of the system-call entry every sys_* goes through (sim_syscall, sim/internal.h): each
// entry point runs on the calling task's CPU and reaches Machine::after_syscall on every return
// path, the early -EINVAL / -EPERM ones included (before the wrapper, sys_mlock2's and
// sys_mlockall's argument checks returned without it, so a broken invariant went unseen).
#include <fcntl.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/mm_test_util.h"

namespace mmsim {
namespace {

struct EntryCase {
  const char* name;  // the name after_syscall reports
  std::function<long(Task&)> call;
};

// Each call takes a path that returns early (a refused argument where there is one).
std::vector<EntryCase> Entries() {
  return {
      {"mmap", [](Task& t) { return sys_mmap(t, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 99, 1); }},
      {"munmap", [](Task& t) { return sys_munmap(t, 1, PAGE_SIZE); }},
      {"brk", [](Task& t) { return sys_brk(t, 0); }},
      {"mprotect", [](Task& t) { return sys_mprotect(t, 1, PAGE_SIZE, PROT_READ); }},
      {"madvise", [](Task& t) { return sys_madvise(t, 1, PAGE_SIZE, MADV_DONTNEED); }},
      {"msync", [](Task& t) { return sys_msync(t, 1, PAGE_SIZE, MS_SYNC); }},
      {"mlock", [](Task& t) { return sys_mlock(t, 0x1000, PAGE_SIZE); }},
      {"mlock2", [](Task& t) { return sys_mlock2(t, 0x1000, PAGE_SIZE, 0x80); }},
      {"munlock", [](Task& t) { return sys_munlock(t, 0x1000, PAGE_SIZE); }},
      {"mlockall", [](Task& t) { return sys_mlockall(t, 0); }},
      {"munlockall", [](Task& t) { return sys_munlockall(t); }},
      {"setrlimit", [](Task& t) { return sys_setrlimit(t, -1, 0, 0); }},
      {"getrlimit",
       [](Task& t) {
         uint64_t cur, max;
         return sys_getrlimit(t, -1, &cur, &max);
       }},
      {"prctl", [](Task& t) { return sys_prctl_set_vma_anon_name(t, 0, PAGE_SIZE, "x"); }},
      {"capset", [](Task& t) { return sys_capset(t, ~uint64_t{0}, ~uint64_t{0}); }},
      {"open", [](Task& t) { return sys_open(t, "/no/such/file", O_RDONLY); }},
      {"close", [](Task& t) { return sys_close(t, 99); }},
      {"fork", [](Task& t) { return sys_fork(t); }},
      {"clone", [](Task& t) { return sys_clone_thread(t); }},
      {"execve", [](Task& t) { return sys_execve(t, Image::kEmpty); }},
      {"exit", [](Task& t) { return sys_exit(t); }},
      {"swapon", [](Task& t) { return sys_swapon(t, "/no/such/file", 0); }},
      {"swapoff", [](Task& t) { return sys_swapoff(t, "/no/such/file"); }},
      {"access", [](Task& t) { return user_access(t, 0x1000, 1, false); }},
  };
}

// A broken invariant planted before the call must be reported "after <name>": the check ran
// on the path the call took.
TEST(SimSyscallTest, EveryEntryRunsAfterSyscallOnItsEarlyReturnPath) {
  for (const EntryCase& c : Entries()) {
    MachineConfig config;
    config.check_invariants = true;
    config.ram_pages = 1 << 12;
    Machine m(config);
    Task& t = m.spawn("t", Image::kEmpty);
    // A second task keeps a broken mm in the machine after fork, exec and exit of the first.
    Task& other = m.spawn("other", Image::kEmpty);
    other.mm->total_vm += 1;  // no VMA holds that page
    c.call(t);
    ASSERT_FALSE(m.invariant_status().ok()) << c.name << " skipped after_syscall";
    EXPECT_TRUE(absl::StartsWith(m.invariant_status().message(), absl::StrCat("after ", c.name)))
        << m.invariant_status();
  }
}

// The call runs on the calling task's CPU: its per-CPU batches are the ones used.
TEST(SimSyscallTest, TheCallRunsOnTheCallersCpu) {
  Machine m;
  Task& t = m.spawn("t", Image::kEmpty);
  t.cpu = 1;
  m.cpu = 0;
  uint64_t cur, max;
  EXPECT_EQ(sys_getrlimit(t, RLIMIT_MEMLOCK, &cur, &max), 0);
  EXPECT_EQ(m.cpu, 1);
}

}  // namespace
}  // namespace mmsim
