#include <gtest/gtest.h>

#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
using namespace mmsim;
TEST(Smoke, MlockMiddleSplits) {
  MachineConfig c;
  c.check_invariants = true;
  Machine m(c);
  Task& t = m.spawn("A");
  long p =
      sys_mmap(t, 0, 6 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_GT(p, 0);
  EXPECT_EQ(sys_mlock(t, p + 2 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
  std::cout << proc_pid_maps(t) << proc_pid_status(t);
  EXPECT_EQ(t.mm->locked_vm, 2u);
  EXPECT_EQ(sys_munlock(t, p, 6 * PAGE_SIZE), 0);
  std::cout << proc_pid_maps(t);
  EXPECT_TRUE(m.invariant_status().ok()) << m.invariant_status();
}
